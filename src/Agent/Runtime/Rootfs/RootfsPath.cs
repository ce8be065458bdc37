namespace ContainerConsole.Runtime.Rootfs;

/// <summary>
/// Resolves a path inside a container's root filesystem the way the kernel would
/// after pivot_root: symlinks (absolute or relative) and ".." never leave the
/// rootfs. Used for checks at create time; the helper re-resolves with
/// openat2(RESOLVE_IN_ROOT) when it mounts, so a racing rootfs cannot escape.
/// </summary>
public static class RootfsPath
{
    private const int MaxSymlinks = 255;

    /// <summary>The host path for containerPath, or null if a component is missing.</summary>
    public static string? Resolve(string rootfs, string containerPath)
    {
        var root = Path.GetFullPath(rootfs).TrimEnd('/');
        var pending = new Stack<string>(Split(containerPath).Reverse());
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
            var candidate = root + "/" + string.Join('/', resolved.Append(part));
            var info = new FileInfo(candidate);
            if (!info.Exists && !Directory.Exists(candidate) && info.LinkTarget is null)
                return null;
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxSymlinks)
                    throw new SpecValidationException($"too many levels of symbolic links resolving {containerPath}");
                if (target.StartsWith('/'))
                    resolved.Clear();
                foreach (var p in Split(target).Reverse())
                    pending.Push(p);
                continue;
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? root : root + "/" + string.Join('/', resolved);
    }

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Finds the executable for args[0] like execvp with the container's PATH:
    /// returns the container path, or throws with Docker's wording.
    /// </summary>
    public static string FindExecutable(string rootfs, string arg0, IEnumerable<string> env, string cwd)
    {
        if (arg0.Contains('/'))
        {
            var full = arg0.StartsWith('/') ? arg0 : cwd.TrimEnd('/') + "/" + arg0;
            var host = Resolve(rootfs, full);
            if (host is null || Directory.Exists(host))
                throw new SpecValidationException($"exec: \"{arg0}\": stat {arg0}: no such file or directory");
            if (!IsExecutable(host))
                throw new SpecValidationException($"exec: \"{arg0}\": permission denied");
            return full;
        }
        var pathVar = env.Select(e => e.StartsWith("PATH=", StringComparison.Ordinal) ? e[5..] : null).LastOrDefault(v => v is not null)
                      ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in pathVar.Split(':'))
        {
            var candidate = (dir.Length == 0 ? cwd : dir).TrimEnd('/') + "/" + arg0;
            var host = Resolve(rootfs, candidate);
            if (host is not null && File.Exists(host) && IsExecutable(host))
                return candidate;
        }
        throw new SpecValidationException($"exec: \"{arg0}\": executable file not found in $PATH");
    }

    private static bool IsExecutable(string hostPath) =>
        (File.GetUnixFileMode(hostPath) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
