using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ContainerConsole.Images.Layers;

/// <summary>
/// Unpacks a layer tar (plain, gzip or zstd, detected from magic bytes) into a new directory in overlayfs form:
/// whiteouts become 0:0 character devices, opaque markers become trusted.overlay.opaque=y.
/// Everything is written into a sibling temporary directory that is renamed into place only on success;
/// on failure it is removed. Hostile or malformed input yields <see cref="ImageFormatException"/> naming the entry.
/// Needs root (lchown, mknod, trusted.* xattrs).
/// </summary>
public sealed class LayerUnpacker : ILayerUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string WhiteoutMetaPrefix = ".wh..wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const string OpaqueXattr = "trusted.overlay.opaque";

    public async Task<UnpackedLayer> UnpackAsync(Stream layer, string targetDir, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentException.ThrowIfNullOrEmpty(targetDir);
        targetDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDir));
        if (Path.Exists(targetDir))
            throw new IOException($"layer directory {targetDir} already exists");
        var parent = Path.GetDirectoryName(targetDir) ?? throw new IOException($"invalid layer directory {targetDir}");
        Directory.CreateDirectory(parent);

        var tmp = $"{targetDir}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        Directory.CreateDirectory(tmp);
        UnpackedLayer result;
        try
        {
            Xattr.Chmod(tmp, 0x1ED); // 0755 regardless of umask; a "./" entry may override it
            result = await new Extraction(tmp).RunAsync(layer, ct).ConfigureAwait(false);
            Xattr.SyncFs(tmp);
            Xattr.RenameNoReplace(tmp, targetDir);
        }
        catch
        {
            DeleteTree(tmp);
            throw;
        }
        Xattr.FsyncDir(parent);
        return result;
    }

    private static void DeleteTree(string dir)
    {
        try
        {
            if (Xattr.LStat(dir) is { } st && (st.Mode & Xattr.S_IFMT) == Xattr.S_IFDIR)
                Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort; the original error is what the caller needs to see.
        }
    }

    /// <summary>Splits a tar path into clean components; leading "/" is dropped as Docker does, ".." may not climb above the root.</summary>
    internal static List<string>? Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".")
                continue;
            if (part == "..")
            {
                if (parts.Count == 0)
                    return null;
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return parts;
    }

    private sealed class Extraction(string root)
    {
        private readonly HashSet<string> _regularFiles = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DateTimeOffset> _dirTimes = new(StringComparer.Ordinal);
        // One copy buffer for the whole layer (entries are written one after another): one per file was 80 KiB
        // allocated for each of a layer's thousands of small files.
        private readonly byte[] _buffer = new byte[81920];
        private long _size;
        private string _entryName = "";

        private ImageFormatException Bad(string what) => new($"layer entry \"{_entryName}\": {what}");

        public async Task<UnpackedLayer> RunAsync(Stream layer, CancellationToken ct)
        {
            var magic = new byte[4];
            int n;
            try { n = await layer.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false); }
            catch (Exception e) when (IsReadFailure(e)) { throw new ImageFormatException($"unreadable layer: {e.Message}"); }
            if (n == 0)
                throw new ImageFormatException("empty layer: not a tar archive");

            Stream raw = new PrefixStream(magic[..n], layer);
            await using var decompressed = n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b
                ? (Stream)new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true)
                : n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd
                    ? new ZstdSharp.DecompressionStream(raw, leaveOpen: true)
                    : raw;
            await using var hashing = new HashingStream(decompressed);
            await using var reader = new TarReader(hashing, leaveOpen: true);

            string? last = null;
            while (true)
            {
                TarEntry? entry;
                try
                {
                    entry = await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (IsReadFailure(e))
                {
                    throw new ImageFormatException(last is null
                        ? $"malformed layer: not a tar archive ({e.Message})"
                        : e is EndOfStreamException
                            ? $"layer entry \"{last}\": truncated layer ({e.Message})"
                            : $"malformed layer after entry \"{last}\": {e.Message}");
                }
                if (entry is null)
                    break;
                _entryName = last = entry.Name;
                await ApplyAsync(entry, ct).ConfigureAwait(false);
            }

            // The diff id covers the whole uncompressed stream, trailer blocks included.
            try
            {
                while (await hashing.ReadAsync(_buffer, ct).ConfigureAwait(false) > 0) { }
            }
            catch (Exception e) when (IsReadFailure(e))
            {
                throw new ImageFormatException($"truncated layer: {e.Message}");
            }

            foreach (var (rel, mtime) in _dirTimes.OrderByDescending(d => d.Key.Count(c => c == '/') + (d.Key.Length > 0 ? 1 : 0)))
            {
                var path = rel.Length == 0 ? root : Path.Combine(root, rel);
                Xattr.SetTimes(path, mtime, mtime);
            }
            return new UnpackedLayer(hashing.Digest(), _size);
        }

        private static bool IsReadFailure(Exception e) =>
            e is InvalidDataException or FormatException or EndOfStreamException or ZstdSharp.ZstdException
                or ArgumentException or OverflowException or IOException;

        private async Task ApplyAsync(TarEntry entry, CancellationToken ct)
        {
            var type = entry.EntryType;
            if (type is TarEntryType.GlobalExtendedAttributes)
                return;
            if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo)
                throw Bad($"{type} entries are not allowed in a layer (device and fifo nodes are refused)");
            if (type is not (TarEntryType.Directory or TarEntryType.RegularFile or TarEntryType.V7RegularFile
                or TarEntryType.ContiguousFile or TarEntryType.SymbolicLink or TarEntryType.HardLink))
                throw Bad($"unsupported entry type {type}");

            var parts = Normalize(entry.Name) ?? throw Bad("path escapes the layer");
            if (parts.Count == 0)
            {
                if (type != TarEntryType.Directory)
                    throw Bad("only a directory may name the layer root");
                SetMetadata(root, entry, isDir: true);
                _dirTimes[""] = entry.ModificationTime;
                return;
            }

            var baseName = parts[^1];
            var parentRel = parts.GetRange(0, parts.Count - 1);
            var parentPath = EnsureParents(parentRel);

            if (baseName.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                ApplyWhiteout(entry, baseName, parentRel, parentPath);
                return;
            }

            var rel = string.Join('/', parts);
            var path = Path.Combine(parentPath, baseName);
            try
            {
                switch (type)
                {
                    case TarEntryType.Directory:
                        if (Xattr.LStat(path) is not { } st || (st.Mode & Xattr.S_IFMT) != Xattr.S_IFDIR)
                        {
                            RemoveExisting(path, rel);
                            Directory.CreateDirectory(path);
                        }
                        SetMetadata(path, entry, isDir: true);
                        _dirTimes[rel] = entry.ModificationTime;
                        break;

                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        RemoveExisting(path, rel);
                        await WriteFileAsync(path, entry, ct).ConfigureAwait(false);
                        SetMetadata(path, entry, isDir: false);
                        _regularFiles.Add(rel);
                        break;

                    case TarEntryType.SymbolicLink:
                        if (string.IsNullOrEmpty(entry.LinkName) || entry.LinkName.Contains('\0'))
                            throw Bad("symlink without a valid target");
                        RemoveExisting(path, rel);
                        File.CreateSymbolicLink(path, entry.LinkName);
                        SetMetadata(path, entry, isDir: false, isSymlink: true);
                        break;

                    case TarEntryType.HardLink:
                        var target = HardLinkTarget(entry.LinkName, rel);
                        RemoveExisting(path, rel);
                        Xattr.Link(target, path);
                        _regularFiles.Add(rel);
                        break;
                }
            }
            catch (Exception e) when (e is IOException and not EndOfStreamException || e is UnauthorizedAccessException)
            {
                throw new IOException($"layer entry \"{_entryName}\": {e.Message}", e);
            }
        }

        private async Task WriteFileAsync(string path, TarEntry entry, CancellationToken ct)
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, // O_EXCL: never follows or reuses an existing name
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            await using var output = new FileStream(path, options);
            var data = entry.DataStream;
            if (data is null)
                return;
            var buffer = _buffer;
            long written = 0;
            while (true)
            {
                int n;
                try
                {
                    n = await data.ReadAsync(buffer, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (IsReadFailure(e))
                {
                    throw Bad($"truncated layer ({e.Message})");
                }
                if (n == 0)
                    break;
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                written += n;
            }
            if (written != entry.Length)
                throw Bad($"truncated layer (declared {entry.Length} bytes, got {written})");
            _size += written;
        }

        private void ApplyWhiteout(TarEntry entry, string baseName, List<string> parentRel, string parentPath)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile
                or TarEntryType.Directory or TarEntryType.HardLink or TarEntryType.SymbolicLink))
                throw Bad("invalid whiteout entry");
            if (baseName == OpaqueMarker)
            {
                Xattr.Set(parentPath, OpaqueXattr, "y"u8);
                return;
            }
            if (baseName.StartsWith(WhiteoutMetaPrefix, StringComparison.Ordinal))
                return; // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): meaningless for overlayfs
            var victim = baseName[WhiteoutPrefix.Length..];
            if (victim.Length == 0 || victim == "." || victim == "..")
                throw Bad("invalid whiteout name");
            var rel = string.Join('/', parentRel.Append(victim));
            var path = Path.Combine(parentPath, victim);
            RemoveExisting(path, rel);
            Xattr.MkWhiteout(path);
            Xattr.LChown(path, entry.Uid, entry.Gid);
        }

        /// <summary>Resolves a hardlink target: a regular file already extracted by this layer, reached only through real directories.</summary>
        private string HardLinkTarget(string linkName, string selfRel)
        {
            if (string.IsNullOrEmpty(linkName))
                throw Bad("hardlink without a target");
            var parts = Normalize(linkName) ?? throw Bad($"hardlink target \"{linkName}\" escapes the layer");
            var rel = string.Join('/', parts);
            if (parts.Count == 0 || !_regularFiles.Contains(rel))
                throw Bad($"hardlink target \"{linkName}\" is not a regular file extracted by this layer");
            if (rel == selfRel)
                throw Bad("hardlink to itself");
            var path = root;
            for (var i = 0; i < parts.Count; i++)
            {
                path = Path.Combine(path, parts[i]);
                var want = i == parts.Count - 1 ? Xattr.S_IFREG : Xattr.S_IFDIR;
                if (Xattr.LStat(path) is not { } st || (st.Mode & Xattr.S_IFMT) != want)
                    throw Bad($"hardlink target \"{linkName}\" is not a regular file extracted by this layer");
            }
            return path;
        }

        /// <summary>Makes sure every parent component is a real directory inside the layer, creating missing ones (0755).</summary>
        private string EnsureParents(List<string> parentRel)
        {
            var path = root;
            foreach (var part in parentRel)
            {
                path = Path.Combine(path, part);
                if (Xattr.LStat(path) is { } st)
                {
                    var kind = st.Mode & Xattr.S_IFMT;
                    if (kind == Xattr.S_IFLNK)
                        throw Bad($"path goes through symlink \"{part}\"; writing through a symlink is not allowed");
                    if (kind != Xattr.S_IFDIR)
                        throw Bad($"parent \"{part}\" is not a directory");
                    continue;
                }
                Directory.CreateDirectory(path);
                Xattr.Chmod(path, 0x1ED);
            }
            return path;
        }

        /// <summary>Removes whatever the layer put at path before (later entries win), forgetting what was below it.</summary>
        private void RemoveExisting(string path, string rel)
        {
            if (Xattr.LStat(path) is not { } st)
                return;
            if ((st.Mode & Xattr.S_IFMT) == Xattr.S_IFDIR)
            {
                Directory.Delete(path, recursive: true);
                var prefix = rel + "/";
                _regularFiles.RemoveWhere(f => f.StartsWith(prefix, StringComparison.Ordinal));
                foreach (var d in _dirTimes.Keys.Where(k => k == rel || k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
                    _dirTimes.Remove(d);
            }
            else
            {
                File.Delete(path);
                _regularFiles.Remove(rel);
            }
        }

        private void SetMetadata(string path, TarEntry entry, bool isDir, bool isSymlink = false)
        {
            Xattr.LChown(path, entry.Uid, entry.Gid);
            if (!isSymlink)
                Xattr.Chmod(path, (uint)entry.Mode & 0xFFF); // after chown, which clears setuid/setgid
            if (entry is PaxTarEntry pax)
                SetXattrs(path, pax);
            if (!isDir)
                Xattr.SetTimes(path, entry.ModificationTime, entry.ModificationTime);
        }

        private void SetXattrs(string path, PaxTarEntry pax)
        {
            const string schily = "SCHILY.xattr.";
            foreach (var (key, value) in pax.ExtendedAttributes)
            {
                if (!key.StartsWith(schily, StringComparison.Ordinal))
                    continue;
                var name = key[schily.Length..];
                if (name.Length == 0 || name.Contains('\0'))
                    throw Bad($"invalid xattr name \"{name}\"");
                // overlayfs metadata only comes from whiteout entries, never from the tar itself.
                if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal))
                    continue;
                // System.Formats.Tar decodes PAX values as UTF-8; a value that was not UTF-8 cannot be restored exactly.
                if (value.Contains('\uFFFD'))
                    continue;
                var errno = Xattr.TrySet(path, name, Encoding.UTF8.GetBytes(value));
                if (errno is not 0 and not Xattr.ENOTSUP and not Xattr.EPERM)
                    throw new IOException($"layer entry \"{_entryName}\": lsetxattr {name}: errno {errno}");
            }
        }
    }
}
