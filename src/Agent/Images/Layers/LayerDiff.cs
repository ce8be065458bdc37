using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ContainerConsole.Images.Layers;

/// <summary>
/// What a container changed, read from its overlayfs upper directory: <c>docker diff</c> style change lists and
/// the OCI layer tar that <c>commit</c> stores. Whiteouts are 0:0 character devices, opaque directories carry
/// trusted.overlay.opaque=y. Reading trusted.* xattrs needs root.
/// </summary>
public static class LayerDiff
{
    /// <summary>One change: Kind is 'A' (added), 'C' (changed) or 'D' (deleted); Path is absolute in the container.</summary>
    public sealed record Change(char Kind, string Path);

    private const string OpaqueXattr = "trusted.overlay.opaque";

    /// <summary>Changes of <paramref name="upperDir"/> against the image's <paramref name="lowerDirs"/> (topmost first), sorted by path.</summary>
    public static IReadOnlyList<Change> Changes(string upperDir, IReadOnlyList<string> lowerDirs)
    {
        ArgumentException.ThrowIfNullOrEmpty(upperDir);
        ArgumentNullException.ThrowIfNull(lowerDirs);
        var changes = new List<Change>();
        Walk(upperDir, "", underOpaque: false);
        changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return changes;

        void Walk(string dir, string relDir, bool underOpaque)
        {
            foreach (var name in Children(dir))
            {
                var path = Path.Combine(dir, name);
                var rel = relDir.Length == 0 ? name : relDir + "/" + name;
                var st = Xattr.LStat(path);
                if (st is not { } s)
                {
                    continue;
                }

                if (IsWhiteout(s))
                {
                    if (!underOpaque)
                    {
                        changes.Add(new Change('D', "/" + rel));
                    }

                    continue;
                }

                var isDir = (s.Mode & Xattr.S_IFMT) == Xattr.S_IFDIR;
                var opaque = isDir && IsOpaque(path);
                var kind = underOpaque ? 'A' : opaque || ExistsInLower(lowerDirs, rel) ? 'C' : 'A';
                changes.Add(new Change(kind, "/" + rel));
                if (isDir)
                {
                    Walk(path, rel, underOpaque || opaque);
                }
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="upperDir"/> as a PAX layer tar (whiteouts as ".wh.NAME", opaque directories with a
    /// ".wh..wh..opq" entry, hardlinks for repeated inodes) and returns its diff id (sha256 of the bytes written).
    /// </summary>
    public static async Task<string> WriteLayerTarAsync(string upperDir, Stream output, CancellationToken ct, IReadOnlySet<string>? exclude = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(upperDir);
        ArgumentNullException.ThrowIfNull(output);
        await using var hashing = new HashingWriteStream(output);
        var seen = new Dictionary<(ulong Dev, ulong Ino), string>();
        await using (var writer = new TarWriter(hashing, TarEntryFormat.Pax, leaveOpen: true))
        {
            await WriteDirAsync(writer, upperDir, "", seen, exclude ?? new HashSet<string>(), ct).ConfigureAwait(false);
        }

        if (hashing.BytesWritten == 0)
        {
            // No changes: TarWriter writes nothing at all, but a layer is a tar, so write the end-of-archive blocks
            // (docker's well-known empty layer, sha256:5f70bf18...).
            await hashing.WriteAsync(new byte[1024], ct).ConfigureAwait(false);
        }

        await hashing.FlushAsync(ct).ConfigureAwait(false);
        return hashing.Digest();
    }

    private static async Task WriteDirAsync(TarWriter writer, string dir, string relDir, Dictionary<(ulong, ulong), string> seen,
        IReadOnlySet<string> exclude, CancellationToken ct)
    {
        foreach (var name in Children(dir))
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.Combine(dir, name);
            var rel = relDir.Length == 0 ? name : relDir + "/" + name;
            if (exclude.Contains(rel))
            {
                continue;
            }

            if (FullStat(path) is not { } st)
            {
                continue;
            }

            var kind = st.Mode & Xattr.S_IFMT;
            if (kind == Xattr.S_IFCHR && st.Rdev == 0)
            {
                var parent = relDir.Length == 0 ? "" : relDir + "/";
                await writer.WriteEntryAsync(Entry(TarEntryType.RegularFile, parent + ".wh." + name, st), ct).ConfigureAwait(false);
                continue;
            }

            if (kind == Xattr.S_IFDIR)
            {
                await writer.WriteEntryAsync(Entry(TarEntryType.Directory, rel + "/", st), ct).ConfigureAwait(false);
                if (IsOpaque(path))
                {
                    await writer.WriteEntryAsync(Entry(TarEntryType.RegularFile, rel + "/.wh..wh..opq", st with { Mode = 0 }), ct).ConfigureAwait(false);
                }

                await WriteDirAsync(writer, path, rel, seen, exclude, ct).ConfigureAwait(false);
            }
            else if (kind == Xattr.S_IFLNK)
            {
                var entry = Entry(TarEntryType.SymbolicLink, rel, st);
                entry.LinkName = new FileInfo(path).LinkTarget ?? throw new IOException($"readlink {path} failed");
                await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            }
            else if (kind == Xattr.S_IFREG)
            {
                if (st.Nlink > 1 && seen.TryGetValue((st.Dev, st.Ino), out var first))
                {
                    var link = Entry(TarEntryType.HardLink, rel, st);
                    link.LinkName = first;
                    await writer.WriteEntryAsync(link, ct).ConfigureAwait(false);
                    continue;
                }

                if (st.Nlink > 1)
                {
                    seen[(st.Dev, st.Ino)] = rel;
                }

                var file = Entry(TarEntryType.RegularFile, rel, st);
                await using var data = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
                file.DataStream = data;
                await writer.WriteEntryAsync(file, ct).ConfigureAwait(false);
            }
            else
            {
                throw new IOException($"{path}: sockets, fifos and device nodes cannot be committed");
            }
        }
    }

    private static PaxTarEntry Entry(TarEntryType type, string name, FullStatInfo st) => new(type, name)
    {
        Mode = (UnixFileMode)(st.Mode & 0xFFF),
        Uid = (int)st.Uid,
        Gid = (int)st.Gid,
        ModificationTime = st.MTime,
    };

    private static IEnumerable<string> Children(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToList();

    private static bool IsWhiteout(Xattr.Stat st) => (st.Mode & Xattr.S_IFMT) == Xattr.S_IFCHR && st.Rdev == 0;

    private static bool IsOpaque(string dir) => Xattr.Get(dir, OpaqueXattr) is [(byte)'y'];

    /// <summary>Whether <paramref name="rel"/> is visible in the merged lower layers (topmost first), honouring their whiteouts and opaque dirs.</summary>
    private static bool ExistsInLower(IReadOnlyList<string> lowerDirs, string rel)
    {
        var parts = rel.Split('/');
        foreach (var lower in lowerDirs)
        {
            var path = lower;
            var hiddenBelow = false;
            for (var i = 0; i < parts.Length; i++)
            {
                path = Path.Combine(path, parts[i]);
                if (Xattr.LStat(path) is not { } st)
                {
                    break;
                }

                if (IsWhiteout(st))
                {
                    return false;
                }

                var isDir = (st.Mode & Xattr.S_IFMT) == Xattr.S_IFDIR;
                if (i == parts.Length - 1)
                {
                    return true;
                }

                if (!isDir)
                {
                    return false; // a non-directory here hides everything below it
                }

                if (IsOpaque(path))
                {
                    hiddenBelow = true;
                }
            }

            if (hiddenBelow)
            {
                return false;
            }
        }

        return false;
    }

    private readonly record struct FullStatInfo(uint Mode, ulong Dev, ulong Ino, ulong Rdev, ulong Nlink, uint Uid, uint Gid, DateTimeOffset MTime);

    private static unsafe FullStatInfo? FullStat(string path)
    {
        Tmds.Linux.stat st;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            if (Tmds.Linux.LibC.lstat(p, &st) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Xattr.ENOENT)
                {
                    return null;
                }

                throw new IOException($"lstat {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }
        }

        var mtime = DateTimeOffset.FromUnixTimeSeconds((long)st.st_mtim.tv_sec).AddTicks((long)st.st_mtim.tv_nsec / 100);
        return new FullStatInfo((uint)st.st_mode, (ulong)st.st_dev, (ulong)st.st_ino, (ulong)st.st_rdev, (ulong)st.st_nlink,
            (uint)st.st_uid, (uint)st.st_gid, mtime);
    }

    /// <summary>Write-through stream that hashes what passes.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string Digest() => "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

        public long BytesWritten { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            BytesWritten += buffer.Length;
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            BytesWritten += buffer.Length;
            _hash.AppendData(buffer.Span);
            return inner.WriteAsync(buffer, ct);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
