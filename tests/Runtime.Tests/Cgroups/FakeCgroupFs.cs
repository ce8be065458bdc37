using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Runtime.Tests.Cgroups;

/// <summary>
/// In-memory cgroupfs. Records successful writes, mkdirs and rmdirs in order; hooks let a test
/// imitate kernel rules (reject a value, derive a file from another, populate new directories).
/// Like the kernel, writing a file that does not exist fails with ENOENT.
/// </summary>
internal sealed class FakeCgroupFs : ICgroupFs
{
    public const int ENOENT = 2, EBUSY = 16, EINVAL = 22, ENOSPC = 28, EEXIST = 17;

    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Dirs { get; } = new(StringComparer.Ordinal) { "/" };
    public List<(string Path, string Value)> Writes { get; } = [];
    public List<string> Created { get; } = [];
    public List<string> Removed { get; } = [];

    /// <summary>Called after mkdir to create the control files of the new cgroup.</summary>
    public Action<string>? OnMkdir { get; set; }

    /// <summary>(path, value) → content to store; throw a CgroupException to reject the write.</summary>
    public Func<string, string, string>? OnWrite { get; set; }

    /// <summary>(path, stored content) → content to return.</summary>
    public Func<string, string, string>? OnRead { get; set; }

    /// <summary>rmdir of these paths fails with EBUSY this many more times.</summary>
    public Dictionary<string, int> BusyRemovals { get; } = new(StringComparer.Ordinal);

    public static CgroupException Error(string path, int errno) => new($"fake {path}", errno, path);

    public void AddDir(string path)
    {
        var cur = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            cur += "/" + part;
            Dirs.Add(cur);
        }
    }

    public void AddFile(string path, string content)
    {
        AddDir(System.IO.Path.GetDirectoryName(path)!);
        Files[path] = content;
    }

    public IEnumerable<(string Path, string Value)> WritesUnder(string prefix) =>
        Writes.Where(w => w.Path.StartsWith(prefix, StringComparison.Ordinal));

    public string ReadFile(string path)
    {
        if (!Files.TryGetValue(path, out var content))
            throw Error(path, ENOENT);
        return OnRead?.Invoke(path, content) ?? content;
    }

    public void WriteFile(string path, string value)
    {
        if (!Files.ContainsKey(path))
            throw Error(path, ENOENT);
        var stored = OnWrite?.Invoke(path, value) ?? value;
        Files[path] = stored;
        Writes.Add((path, value));
    }

    public bool FileExists(string path) => Files.ContainsKey(path);

    public bool DirectoryExists(string path) => Dirs.Contains(path);

    public void CreateDirectory(string path)
    {
        if (Dirs.Contains(path))
            return;
        var parent = System.IO.Path.GetDirectoryName(path)!;
        if (!Dirs.Contains(parent))
            throw Error(path, ENOENT);
        Dirs.Add(path);
        Created.Add(path);
        OnMkdir?.Invoke(path);
    }

    public void RemoveDirectory(string path)
    {
        if (!Dirs.Contains(path))
            throw Error(path, ENOENT);
        if (ListDirectories(path).Count > 0)
            throw Error(path, EBUSY);
        if (Files.TryGetValue(path + "/cgroup.procs", out var procs) && procs.Trim().Length > 0)
            throw Error(path, EBUSY);
        if (BusyRemovals.TryGetValue(path, out var n) && n > 0)
        {
            BusyRemovals[path] = n - 1;
            throw Error(path, EBUSY);
        }
        Dirs.Remove(path);
        foreach (var f in Files.Keys.Where(k => k.StartsWith(path + "/", StringComparison.Ordinal)).ToList())
            Files.Remove(f);
        Removed.Add(path);
    }

    public IReadOnlyList<string> ListDirectories(string path)
    {
        if (!Dirs.Contains(path))
            throw Error(path, ENOENT);
        var prefix = path == "/" ? "/" : path + "/";
        return Dirs.Where(d => d.StartsWith(prefix, StringComparison.Ordinal) && d.Length > prefix.Length && !d[prefix.Length..].Contains('/'))
            .Select(d => d[prefix.Length..]).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Appends a pid to a cgroup.procs-like file (what the kernel shows after a successful join).</summary>
    public static string AppendPid(string current, string pid) =>
        current.Trim().Length == 0 ? pid + "\n" : current.TrimEnd('\n') + "\n" + pid + "\n";

    public static string RemovePid(string current, int pid) =>
        string.Concat(current.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Trim() != pid.ToString()).Select(l => l + "\n"));
}
