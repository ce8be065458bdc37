using System.Formats.Tar;
using System.Globalization;
using System.Text.Json.Serialization;
using ContainerConsole.Images.Layers;
using ContainerConsole.Runtime.Interop;
using Microsoft.Win32.SafeHandles;

namespace ContainerConsole.Agent.Engine;

/// <summary>What X-Docker-Container-Path-Stat carries (base64 JSON); Mode is Go's os.FileMode, which the docker CLI decodes.</summary>
public sealed record ContainerPathStat(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("mode")] uint Mode,
    [property: JsonPropertyName("mtime")] string Mtime,
    [property: JsonPropertyName("linkTarget")] string LinkTarget);

/// <summary>
/// docker cp: stat, read a path as a tar, extract a tar into a directory, all inside a container's <see cref="RootDir"/>.
/// Paths follow Docker's rules: the directory part is resolved (symlinks followed, confined to the root), the last
/// component is taken as it is (a symlink is copied as a link) unless the path ends in "/" or "/.".
/// </summary>
public static class ContainerArchive
{
    // Go os.FileMode type bits.
    private const uint GoDir = 1u << 31, GoSymlink = 1u << 27, GoDevice = 1u << 26, GoNamedPipe = 1u << 25, GoSocket = 1u << 24,
        GoSetuid = 1u << 23, GoSetgid = 1u << 22, GoCharDevice = 1u << 21, GoSticky = 1u << 20;

    /// <summary>Unix st_mode → Go os.FileMode (permission bits plus Go's own type and special bits).</summary>
    public static uint GoFileMode(uint mode)
    {
        var m = mode & 0x1FF;
        m |= (mode & FileStat.S_IFMT) switch
        {
            FileStat.S_IFDIR => GoDir,
            FileStat.S_IFLNK => GoSymlink,
            FileStat.S_IFBLK => GoDevice,
            FileStat.S_IFCHR => GoDevice | GoCharDevice,
            FileStat.S_IFIFO => GoNamedPipe,
            FileStat.S_IFSOCK => GoSocket,
            _ => 0,
        };
        if ((mode & 0x800) != 0) m |= GoSetuid;
        if ((mode & 0x400) != 0) m |= GoSetgid;
        if ((mode & 0x200) != 0) m |= GoSticky;
        return m;
    }

    /// <summary>Docker's split: the directory to resolve and the last name to take as is ("" when the path names a directory itself).</summary>
    public static (string Dir, string Base) Split(string path)
    {
        var abs = "/" + path.TrimStart('/');
        if (abs.EndsWith("/.", StringComparison.Ordinal) || abs.EndsWith('/'))
            return (abs, "");
        var slash = abs.LastIndexOf('/');
        var name = abs[(slash + 1)..];
        return name == ".." ? (abs, "") : (abs[..(slash + 1)], name);
    }

    /// <summary>The name the copied object gets in the tar and in the stat header.</summary>
    public static string RebaseName(string path)
    {
        var abs = "/" + path.TrimStart('/');
        if (abs.EndsWith("/.", StringComparison.Ordinal))
            return ".";
        var trimmed = abs.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    private static EngineException NotFound(string path, string id) => new(404, $"Could not find the file {path} in container {id}");

    /// <summary>The directory and the name below it that <paramref name="path"/> denotes; throws 404 if missing.</summary>
    private static (SafeFileHandle Dir, string Name, FileStat Stat) Locate(RootDir root, string path, string id)
    {
        var (dirPart, baseName) = Split(path);
        SafeFileHandle dir;
        try
        {
            dir = root.Resolve(dirPart, RootDir.O_PATH | RootDir.O_DIRECTORY);
        }
        catch (SyscallException e) when (e.Errno is RootDir.ENOENT or RootDir.ENOTDIR or RootDir.ELOOP)
        {
            throw NotFound(path, id);
        }
        var st = RootDir.StatAt(dir, baseName);
        if (st is null)
        {
            dir.Dispose();
            throw NotFound(path, id);
        }
        return (dir, baseName, st.Value);
    }

    public static ContainerPathStat StatPath(RootDir root, string path, string id)
    {
        var (dir, name, st) = Locate(root, path, id);
        using (dir)
        {
            var linkTarget = "";
            if (st.IsSymlink)
                linkTarget = ResolveLexically(root, path);
            return new ContainerPathStat(RebaseName(path), st.Size, GoFileMode(st.Mode),
                st.Mtime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture), linkTarget);
        }
    }

    /// <summary>
    /// Where a path ends up inside the root after following every symlink, as a container path (for the stat header's
    /// linkTarget only; reads and writes go through openat2). ".." and absolute targets never climb above "/".
    /// </summary>
    public static string ResolveLexically(RootDir root, string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (resolved.Count > 0)
                    resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            using var dir = root.Resolve("/" + string.Join('/', resolved), RootDir.O_PATH | RootDir.O_DIRECTORY);
            if (RootDir.StatAt(dir, part) is { IsSymlink: true } && ++links <= 40)
            {
                var target = RootDir.ReadLinkAt(dir, part);
                if (target.StartsWith('/'))
                    resolved.Clear();
                foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                    pending.Push(p);
                continue;
            }
            resolved.Add(part);
        }
        return "/" + string.Join('/', resolved);
    }

    /// <summary>Writes the object at <paramref name="path"/> (and everything below a directory) as a tar.</summary>
    public static async Task WriteTarAsync(RootDir root, string path, string id, Stream output, CancellationToken ct)
    {
        var (dir, name, st) = Locate(root, path, id);
        using (dir)
        {
            await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            var links = new Dictionary<(ulong, ulong), string>();
            await AddAsync(tar, dir, name, st, RebaseName(path) is "/" ? "." : RebaseName(path), links, ct);
        }
    }

    private static async Task AddAsync(TarWriter tar, SafeFileHandle parent, string name, FileStat st, string tarName,
        Dictionary<(ulong, ulong), string> links, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        PaxTarEntry entry;
        switch (st.Type)
        {
            case FileStat.S_IFDIR:
            {
                using var fd = name.Length == 0 ? RootDir.OpenAt(parent, ".", RootDir.O_RDONLY | RootDir.O_DIRECTORY) : RootDir.OpenAt(parent, name, RootDir.O_RDONLY | RootDir.O_DIRECTORY);
                await tar.WriteEntryAsync(Meta(new PaxTarEntry(TarEntryType.Directory, tarName + "/"), st), ct);
                if (RootDir.IsPseudoFs(fd))
                    return; // a running container's /proc, /sys, ...: the mount point only
                foreach (var child in RootDir.List(fd))
                {
                    if (RootDir.StatAt(fd, child) is { } cst)
                        await AddAsync(tar, fd, child, cst, tarName + "/" + child, links, ct);
                }
                return;
            }
            case FileStat.S_IFREG:
                if (st.Nlink > 1)
                {
                    if (links.TryGetValue((st.Dev, st.Ino), out var first))
                    {
                        await tar.WriteEntryAsync(Meta(new PaxTarEntry(TarEntryType.HardLink, tarName) { LinkName = first }, st), ct);
                        return;
                    }
                    links[(st.Dev, st.Ino)] = tarName;
                }
                SafeFileHandle file;
                try
                {
                    // O_NONBLOCK: if the name was swapped for a fifo meanwhile, opening must not hang; checked below.
                    file = RootDir.OpenAt(parent, name, RootDir.O_RDONLY | RootDir.O_NOCTTY | RootDir.O_NONBLOCK);
                }
                catch (SyscallException e) when (e.Errno == RootDir.ENOENT)
                {
                    return; // removed while we walked
                }
                using (file)
                {
                    var now = RootDir.Stat(file);
                    if (!now.IsRegular)
                        return;
                    await using var data = new FileStream(file, FileAccess.Read, 1, isAsync: false);
                    entry = Meta(new PaxTarEntry(TarEntryType.RegularFile, tarName) { DataStream = new BoundedStream(data, now.Size) }, now);
                    await tar.WriteEntryAsync(entry, ct);
                }
                return;
            case FileStat.S_IFLNK:
                entry = new PaxTarEntry(TarEntryType.SymbolicLink, tarName) { LinkName = RootDir.ReadLinkAt(parent, name) };
                break;
            case FileStat.S_IFCHR or FileStat.S_IFBLK:
                entry = new PaxTarEntry(st.Type == FileStat.S_IFCHR ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, tarName)
                {
                    DeviceMajor = (int)(((st.Rdev >> 8) & 0xfff) | ((st.Rdev >> 32) & ~0xfffUL)),
                    DeviceMinor = (int)((st.Rdev & 0xff) | ((st.Rdev >> 12) & ~0xffUL)),
                };
                break;
            case FileStat.S_IFIFO:
                entry = new PaxTarEntry(TarEntryType.Fifo, tarName);
                break;
            default:
                return; // sockets have no tar form
        }
        await tar.WriteEntryAsync(Meta(entry, st), ct);
    }

    private static PaxTarEntry Meta(PaxTarEntry e, FileStat st)
    {
        e.Mode = (UnixFileMode)(st.Mode & 0xFFF);
        e.Uid = (int)st.Uid;
        e.Gid = (int)st.Gid;
        e.ModificationTime = st.Mtime;
        return e;
    }

    /// <summary>
    /// A regular file's content cut to the size stat saw, so a file growing meanwhile cannot break the tar. "Seekable"
    /// only so TarWriter takes its Length for the header when writing to a network stream.
    /// </summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var want = (int)Math.Min(count, length - _position);
            if (want <= 0)
                return 0;
            var n = inner.Read(buffer, offset, want);
            if (n == 0)
            {
                // Shrunk meanwhile: pad with zeros to the size the header promised.
                Array.Clear(buffer, offset, want);
                n = want;
            }
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) =>
            (origin == SeekOrigin.Current && offset == 0) || (origin == SeekOrigin.Begin && offset == _position) ? _position : throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Options of PUT /containers/{id}/archive.</summary>
    public sealed record ExtractOptions(bool NoOverwriteDirNonDir, bool CopyUidGid);

    /// <summary>
    /// Checks a whole tar before anything is written, so a hostile archive leaves the container untouched: names may
    /// not climb out of the destination, only directories, files, symlinks and hardlinks (to files earlier in the same
    /// archive) are allowed, and no entry may be written through a symlink the archive itself created.
    /// </summary>
    public static async Task ValidateAsync(Stream tarStream, CancellationToken ct)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        var symlinks = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = new TarReader(tarStream, leaveOpen: true);
        while (await ReadNextAsync(reader, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                continue;
            EngineException Bad(string what) => EngineException.BadRequest($"archive entry \"{entry.Name}\": {what}");
            var parts = LayerUnpacker.Normalize(entry.Name) ?? throw Bad("path escapes the destination directory");
            var rel = string.Join('/', parts);
            for (var i = 1; i < parts.Count; i++)
            {
                if (symlinks.Contains(string.Join('/', parts.Take(i))))
                    throw Bad($"path goes through symlink \"{string.Join('/', parts.Take(i))}\" of the same archive; writing through a symlink is not allowed");
            }
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    if (parts.Count == 0)
                        throw Bad("only a directory may name the destination itself");
                    files.Add(rel);
                    break;
                case TarEntryType.SymbolicLink:
                    if (parts.Count == 0 || string.IsNullOrEmpty(entry.LinkName) || entry.LinkName.Contains('\0'))
                        throw Bad("symlink without a valid name or target");
                    symlinks.Add(rel);
                    break;
                case TarEntryType.HardLink:
                    var target = LayerUnpacker.Normalize(entry.LinkName);
                    if (parts.Count == 0 || target is null || !files.Contains(string.Join('/', target)))
                        throw Bad($"hardlink target \"{entry.LinkName}\" is not a regular file earlier in this archive");
                    files.Add(rel);
                    break;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                    throw Bad($"{entry.EntryType} entries are refused (device and fifo nodes cannot be copied into a container)");
                default:
                    throw Bad($"unsupported entry type {entry.EntryType}");
            }
        }
    }

    private static async Task<TarEntry?> ReadNextAsync(TarReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.GetNextEntryAsync(copyData: false, ct);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException)
        {
            throw EngineException.BadRequest($"malformed archive: {e.Message}");
        }
    }

    /// <summary>Extracts a tar (already validated) into the directory <paramref name="destPath"/> inside the root.</summary>
    public static async Task ExtractAsync(RootDir root, string destPath, string id, Stream tarStream, ExtractOptions options, CancellationToken ct)
    {
        SafeFileHandle dest;
        try
        {
            dest = root.Resolve(destPath, RootDir.O_PATH);
        }
        catch (SyscallException e) when (e.Errno is RootDir.ENOENT or RootDir.ENOTDIR or RootDir.ELOOP)
        {
            throw NotFound(destPath, id);
        }
        using (dest)
        {
            if (!RootDir.Stat(dest).IsDir)
                throw EngineException.BadRequest($"extraction point is not a directory: {destPath}");
        }
        var destAbs = "/" + destPath.Trim('/');
        string InRoot(IEnumerable<string> parts) => (destAbs.TrimEnd('/') + "/" + string.Join('/', parts)).TrimEnd('/') is { Length: > 0 } p ? p : "/";
        var dirTimes = new List<(string Path, DateTimeOffset Mtime)>();
        await using var reader = new TarReader(tarStream, leaveOpen: true);
        while (await ReadNextAsync(reader, ct) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                continue;
            var parts = LayerUnpacker.Normalize(entry.Name)!;
            try
            {
                await ApplyAsync(root, entry, parts, InRoot, options, dirTimes, ct);
            }
            catch (SyscallException e)
            {
                throw new EngineException(e.Errno == RootDir.EROFS ? 403 : 500, $"archive entry \"{entry.Name}\": {e.Message}");
            }
        }
        foreach (var (path, mtime) in dirTimes.AsEnumerable().Reverse())
        {
            using var d = root.Resolve(path, RootDir.O_PATH | RootDir.O_DIRECTORY);
            RootDir.SetMtimeAt(d, "", mtime);
        }
    }

    private static async Task ApplyAsync(RootDir root, TarEntry entry, List<string> parts, Func<IEnumerable<string>, string> inRoot,
        ExtractOptions options, List<(string, DateTimeOffset)> dirTimes, CancellationToken ct)
    {
        var (uid, gid) = options.CopyUidGid ? ((uint)entry.Uid, (uint)entry.Gid) : (0u, 0u);
        var mode = (uint)entry.Mode & 0xFFF;
        if (parts.Count == 0)
        {
            using var self = root.Resolve(inRoot([]), RootDir.O_RDONLY | RootDir.O_DIRECTORY);
            SetOwnerAndMode(self, uid, gid, mode);
            dirTimes.Add((inRoot([]), entry.ModificationTime));
            return;
        }
        using var parent = root.ResolveOrCreateDir(inRoot(parts.Take(parts.Count - 1)));
        var name = parts[^1];
        var existing = RootDir.StatAt(parent, name);
        var isDir = entry.EntryType == TarEntryType.Directory;
        if (existing is { } ex && options.NoOverwriteDirNonDir && ex.IsDir != isDir)
            throw EngineException.BadRequest(ex.IsDir
                ? $"cannot overwrite directory \"{inRoot(parts)}\" with non-directory \"{entry.Name}\""
                : $"cannot overwrite non-directory \"{inRoot(parts)}\" with directory \"{entry.Name}\"");
        if (existing is { } old && !(old.IsDir && isDir))
            RootDir.RemoveAt(parent, name);

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                RootDir.MkdirAt(parent, name, 0x1C0);
                using (var d = RootDir.OpenAt(parent, name, RootDir.O_RDONLY | RootDir.O_DIRECTORY))
                    SetOwnerAndMode(d, uid, gid, mode);
                dirTimes.Add((inRoot(parts), entry.ModificationTime));
                break;
            case TarEntryType.SymbolicLink:
                RootDir.SymlinkAt(entry.LinkName, parent, name);
                RootDir.ChownAt(parent, name, uid, gid);
                RootDir.SetMtimeAt(parent, name, entry.ModificationTime);
                break;
            case TarEntryType.HardLink:
                var target = LayerUnpacker.Normalize(entry.LinkName)!;
                using (var targetDir = root.Resolve(inRoot(target.Take(target.Count - 1)), RootDir.O_PATH | RootDir.O_DIRECTORY))
                    RootDir.LinkAt(targetDir, target[^1], parent, name);
                break;
            default:
                using (var file = RootDir.OpenAt(parent, name, RootDir.O_WRONLY | RootDir.O_CREAT | RootDir.O_EXCL, 0x180))
                {
                    await using (var output = new FileStream(file, FileAccess.Write, 1, isAsync: false))
                    {
                        if (entry.DataStream is { } data)
                            await data.CopyToAsync(output, ct);
                        await output.FlushAsync(ct);
                        SetOwnerAndMode(file, uid, gid, mode);
                    }
                }
                RootDir.SetMtimeAt(parent, name, entry.ModificationTime);
                break;
        }
    }

    // chown first: it clears set-id bits, which the mode then restores.
    private static void SetOwnerAndMode(SafeFileHandle fd, uint uid, uint gid, uint mode)
    {
        RootDir.ChownAt(fd, "", uid, gid);
        RootDir.Chmod(fd, mode);
    }
}
