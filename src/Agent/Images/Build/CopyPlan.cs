using System.Formats.Tar;
using System.Text;
using System.Text.RegularExpressions;
using ContainerConsole.Images.Archives;
using ContainerConsole.Images.Layers;

namespace ContainerConsole.Images.Build;

/// <summary>A build step failed for a reason the Dockerfile's author can fix (missing file, bad --chown, ...).</summary>
public sealed class BuildException(string message) : Exception(message);

/// <summary>
/// COPY and ADD: which files a step takes from a source tree (the build context or another stage's root filesystem)
/// and how they are written into a new layer directory. Source paths are resolved inside their root: symlinks,
/// also absolute ones, never lead outside it. Docker's destination rules: a trailing '/' or several sources make
/// the destination a directory; a source directory's contents (not the directory) are copied.
/// </summary>
public sealed class CopyPlan
{
    private readonly string _root;
    private readonly List<(string Path, string Name)> _sources;
    private readonly string _destination;
    private readonly bool _isAdd;

    private CopyPlan(string root, List<(string, string)> sources, string destination, bool isAdd)
    {
        _root = root;
        _sources = sources;
        _destination = destination;
        _isAdd = isAdd;
    }

    /// <summary>Host paths of the selected sources, for the cache key.</summary>
    public IReadOnlyList<string> SourcePaths => _sources.Select(s => s.Path).ToList();

    /// <param name="root">the source tree</param>
    /// <param name="sources">source paths after substitution, relative to root (a leading '/' is the root too); globs allowed</param>
    /// <param name="destination">absolute destination in the image after substitution and WORKDIR</param>
    public static CopyPlan Create(string root, IReadOnlyList<string> sources, string destination, bool isAdd, string keyword)
    {
        var selected = new List<(string, string)>();
        foreach (var source in sources)
        {
            if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "git" or "ssh")
            {
                throw new BuildException($"{keyword} failed: {source}: sources from URLs are not supported, this agent has no network access");
            }

            var rel = DockerIgnore.Clean(source);
            if (LayerUnpacker.Normalize(source.TrimStart('/')) is null)
            {
                throw new BuildException($"{keyword} failed: forbidden path outside the build context: {source}");
            }

            if (rel.IndexOfAny(['*', '?', '[']) >= 0)
            {
                var pattern = GlobRegex(rel);
                var matches = Walk(root, "").Where(r => pattern.IsMatch(r)).Order(StringComparer.Ordinal).ToList();
                selected.AddRange(matches.Select(m => (Resolve(root, m, keyword, source), Path.GetFileName(m))));
            }
            else
            {
                selected.Add((Resolve(root, rel, keyword, source), rel == "." ? "" : Path.GetFileName(rel)));
            }
        }

        if (selected.Count == 0)
        {
            throw new BuildException($"{keyword} failed: no source files were specified");
        }

        var multiple = selected.Count > 1;
        if (multiple && !destination.EndsWith('/'))
        {
            throw new BuildException($"When using {keyword} with more than one source file, the destination must be a directory and end with a /");
        }

        return new CopyPlan(root, selected, destination, isAdd);
    }

    /// <summary>
    /// Writes the sources into <paramref name="layerDir"/> (a new, initially empty layer). <paramref name="lowerDirs"/>
    /// are the stage's layers, topmost first: an existing directory at the destination is copied into, and parent
    /// directories keep their metadata. Owner null: files become 0:0, as Docker does.
    /// </summary>
    public async Task ApplyAsync(string layerDir, IReadOnlyList<string> lowerDirs, (int Uid, int Gid)? owner, uint? chmod, CancellationToken ct)
    {
        var (uid, gid) = owner ?? (0, 0);
        var dest = "/" + DockerIgnore.Clean(_destination);
        var destIsDir = _destination.EndsWith('/') || _destination.EndsWith("/.", StringComparison.Ordinal)
            || (LowerLookup.Find(lowerDirs, dest) is { } existing && Directory.Exists(existing) && !IsSymlink(existing));
        foreach (var (path, name) in _sources)
        {
            ct.ThrowIfCancellationRequested();
            var isDir = Directory.Exists(path) && !IsSymlink(path);
            if (isDir)
            {
                var target = EnsureDirectory(layerDir, lowerDirs, dest, uid, gid);
                await CopyTreeAsync(path, target, uid, gid, chmod, ct);
            }
            else if (_isAdd && await ArchiveKind(path, ct) is { } gzip)
            {
                var target = EnsureDirectory(layerDir, lowerDirs, dest, uid, gid);
                await ExtractAsync(path, gzip, layerDir, target, owner, ct);
            }
            else
            {
                var targetRel = destIsDir ? (dest == "/" ? "/" + name : dest + "/" + name) : dest;
                var parent = EnsureDirectory(layerDir, lowerDirs, ParentOf(targetRel), uid, gid);
                await CopyEntryAsync(path, Path.Combine(parent, Path.GetFileName(targetRel)), uid, gid, chmod, ct);
            }
        }
    }

    private static string ParentOf(string abs)
    {
        var i = abs.LastIndexOf('/');
        return i <= 0 ? "/" : abs[..i];
    }

    /// <summary>
    /// Creates an absolute image directory in the layer with its parents: those that exist in the lower layers keep
    /// their metadata, new ones are 0755 owned by uid:gid. Returns the host path.
    /// </summary>
    public static string EnsureDirectory(string layerDir, IReadOnlyList<string> lowerDirs, string abs, int uid, int gid)
    {
        var current = layerDir;
        var rel = "";
        foreach (var part in abs.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            rel = rel + "/" + part;
            current = Path.Combine(current, part);
            var st = Xattr.LStat(current);
            if (st is { } s)
            {
                if ((s.Mode & Xattr.S_IFMT) != Xattr.S_IFDIR)
                {
                    throw new BuildException($"cannot copy to {abs}: {rel} is not a directory");
                }

                continue;
            }

            Directory.CreateDirectory(current);
            if (LowerLookup.Find(lowerDirs, rel) is { } lower && Xattr.LStat(lower) is { } ls && (ls.Mode & Xattr.S_IFMT) == Xattr.S_IFDIR)
            {
                Xattr.Chmod(current, ls.Mode & 0xFFF);
                Xattr.LChown(current, (int)ls.Uid, (int)ls.Gid);
                Xattr.SetTimes(current, Directory.GetLastWriteTimeUtc(lower), Directory.GetLastWriteTimeUtc(lower));
            }
            else
            {
                Xattr.Chmod(current, 0x1ED); // 0755
                Xattr.LChown(current, uid, gid);
            }
        }

        return current;
    }

    private static async Task CopyTreeAsync(string sourceDir, string targetDir, int uid, int gid, uint? chmod, CancellationToken ct)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(sourceDir).Order(StringComparer.Ordinal))
        {
            await CopyEntryAsync(child, Path.Combine(targetDir, Path.GetFileName(child)), uid, gid, chmod, ct);
        }
    }

    private static async Task CopyEntryAsync(string source, string target, int uid, int gid, uint? chmod, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var st = Xattr.LStat(source) ?? throw new BuildException($"{source} vanished during the copy");
        var kind = st.Mode & Xattr.S_IFMT;
        var mode = chmod ?? (st.Mode & 0xFFF);
        if (Xattr.LStat(target) is { } existing && (existing.Mode & Xattr.S_IFMT) != Xattr.S_IFDIR)
        {
            File.Delete(target); // an earlier source of the same step; never follow what is there
        }

        if (kind == Xattr.S_IFDIR)
        {
            if (Xattr.LStat(target) is null)
            {
                Directory.CreateDirectory(target);
            }

            Xattr.Chmod(target, mode);
            Xattr.LChown(target, uid, gid);
            await CopyTreeAsync(source, target, uid, gid, chmod, ct);
            var t = Directory.GetLastWriteTimeUtc(source);
            Xattr.SetTimes(target, t, t);
        }
        else if (kind == Xattr.S_IFLNK)
        {
            File.CreateSymbolicLink(target, new FileInfo(source).LinkTarget ?? "");
            Xattr.LChown(target, uid, gid);
        }
        else if (kind == Xattr.S_IFREG)
        {
            await using (var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous))
            await using (var to = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await from.CopyToAsync(to, ct);
            }

            Xattr.Chmod(target, mode);
            Xattr.LChown(target, uid, gid);
            var t = File.GetLastWriteTimeUtc(source);
            Xattr.SetTimes(target, t, t);
        }

        // sockets, fifos and device nodes are not copied
    }

    /// <summary>null if not a local archive ADD unpacks; otherwise whether it is gzip-compressed.</summary>
    private static async Task<bool?> ArchiveKind(string path, CancellationToken ct)
    {
        var head = new byte[512];
        int n;
        await using (var f = File.OpenRead(path))
        {
            n = await f.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        }

        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return true;
        }

        return n >= 262 && Encoding.ASCII.GetString(head, 257, 5) == "ustar" ? false : null;
    }

    /// <summary>ADD of a local tar: entries that would leave the destination or pass through a symlink are refused.</summary>
    private static async Task ExtractAsync(string archive, bool gzip, string layerDir, string targetDir, (int Uid, int Gid)? owner, CancellationToken ct)
    {
        await using var file = File.OpenRead(archive);
        await using var input = gzip ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : (Stream)file;
        await using var reader = new TarReader(input);
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var name = ArchiveStaging.NormalizeName(entry.Name, null);
                if (name is null)
                {
                    if (entry.Name.Trim('/', '.').Length == 0)
                    {
                        continue; // "./"
                    }

                    throw new BuildException($"ADD failed: {Path.GetFileName(archive)}: entry \"{entry.Name}\" points outside the destination");
                }

                var target = Path.Combine(targetDir, name);
                CheckNoSymlinkBetween(layerDir, Path.GetDirectoryName(target)!, archive, entry.Name);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                CheckNoSymlinkBetween(layerDir, Path.GetDirectoryName(target)!, archive, entry.Name);
                if (Xattr.LStat(target) is { } existing && (existing.Mode & Xattr.S_IFMT) != Xattr.S_IFDIR)
                {
                    File.Delete(target);
                }

                var (uid, gid) = owner ?? (entry.Uid, entry.Gid);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        await using (var to = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                        {
                            if (entry.DataStream is { } data)
                            {
                                await data.CopyToAsync(to, ct);
                            }
                        }

                        break;
                    case TarEntryType.SymbolicLink:
                        File.CreateSymbolicLink(target, entry.LinkName);
                        Xattr.LChown(target, uid, gid);
                        continue;
                    case TarEntryType.HardLink:
                        var linked = ArchiveStaging.NormalizeName(entry.LinkName, null)
                            ?? throw new BuildException($"ADD failed: {Path.GetFileName(archive)}: hard link \"{entry.Name}\" points outside the destination");
                        var linkedPath = Path.Combine(targetDir, linked);
                        CheckNoSymlinkBetween(layerDir, linkedPath, archive, entry.Name);
                        Xattr.Link(linkedPath, target);
                        continue;
                    default:
                        continue; // device nodes and fifos are not unpacked
                }

                Xattr.Chmod(target, (uint)entry.Mode & 0xFFF);
                Xattr.LChown(target, uid, gid);
                Xattr.SetTimes(target, entry.ModificationTime, entry.ModificationTime);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new BuildException($"ADD failed: {Path.GetFileName(archive)}: not a valid archive: {e.Message}");
        }
    }

    private static void CheckNoSymlinkBetween(string root, string path, string archive, string entry)
    {
        var rel = Path.GetRelativePath(root, path);
        var current = root;
        foreach (var part in rel.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            if (IsSymlink(current))
            {
                throw new BuildException($"ADD failed: {Path.GetFileName(archive)}: entry \"{entry}\" passes through a symbolic link");
            }
        }
    }

    private static bool IsSymlink(string path) => Xattr.LStat(path) is { } s && (s.Mode & Xattr.S_IFMT) == Xattr.S_IFLNK;

    /// <summary>Relative paths of everything under root (symlinks not followed).</summary>
    private static IEnumerable<string> Walk(string root, string rel)
    {
        var dir = rel.Length == 0 ? root : Path.Combine(root, rel);
        foreach (var child in Directory.EnumerateFileSystemEntries(dir))
        {
            var childRel = rel.Length == 0 ? Path.GetFileName(child) : rel + "/" + Path.GetFileName(child);
            yield return childRel;
            if (Directory.Exists(child) && !IsSymlink(child))
            {
                foreach (var r in Walk(root, childRel))
                {
                    yield return r;
                }
            }
        }
    }

    /// <summary>
    /// The host path of <paramref name="rel"/> inside <paramref name="root"/>, following symlinks (also absolute ones,
    /// also the last element) as if <paramref name="root"/> were '/'.
    /// </summary>
    internal static string Resolve(string root, string rel, string keyword, string display)
    {
        string? host;
        try
        {
            host = ContainerConsole.Runtime.Rootfs.RootfsPath.Resolve(root, rel);
        }
        catch (ContainerConsole.Runtime.SpecValidationException)
        {
            throw new BuildException($"{keyword} failed: {display}: too many levels of symbolic links");
        }

        return host ?? throw new BuildException(
            $"{keyword} failed: file not found in build context or excluded by .dockerignore: stat {display}: file does not exist");
    }

    private static Regex GlobRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            sb.Append(ch switch
            {
                '*' => "[^/]*",
                '?' => "[^/]",
                '[' when pattern.IndexOf(']', i + 1) is var end and > 0 => Class(pattern, ref i, end),
                '\\' when i + 1 < pattern.Length => Regex.Escape(pattern[++i].ToString()),
                _ => Regex.Escape(ch.ToString()),
            });
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);

        static string Class(string p, ref int i, int end)
        {
            var cls = p[(i + 1)..end];
            i = end;
            return "[" + (cls.StartsWith('^') || cls.StartsWith('!') ? "^" + Regex.Escape(cls[1..]) : Regex.Escape(cls)) + "]";
        }
    }
}

/// <summary>Paths in an image's layers (topmost first) without mounting them: the first layer that has the path wins.</summary>
public static class LowerLookup
{
    public static string? Find(IReadOnlyList<string> lowerDirs, string absPath)
    {
        var rel = absPath.TrimStart('/');
        if (rel.Length == 0)
        {
            return lowerDirs.Count > 0 ? lowerDirs[0] : null;
        }

        foreach (var lower in lowerDirs)
        {
            var path = Path.Combine(lower, rel);
            if (Xattr.LStat(path) is { } st)
            {
                return (st.Mode & Xattr.S_IFMT) == Xattr.S_IFCHR && st.Rdev == 0 ? null : path; // a whiteout hides it
            }
        }

        return null;
    }

    /// <summary>The text of a file in the image (e.g. etc/passwd), or null.</summary>
    public static string? ReadText(IReadOnlyList<string> lowerDirs, string absPath) =>
        Find(lowerDirs, absPath) is { } p && File.Exists(p) && !(Xattr.LStat(p) is { } s && (s.Mode & Xattr.S_IFMT) == Xattr.S_IFLNK) ? File.ReadAllText(p) : null;
}
