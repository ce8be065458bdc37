namespace ContainerConsole.Integration.Tests;

/// <summary>After a container is gone nothing of it may remain: cgroup directories, mounts, processes.</summary>
public static class Leaks
{
    public static void AssertNone(string id, string bundleDir)
    {
        var cgroupDirs = Directory.EnumerateDirectories("/sys/fs/cgroup")
            .Select(h => Path.Combine(h, "containerconsole-test", id))
            .Where(Directory.Exists)
            .ToList();
        Assert.True(cgroupDirs.Count == 0, $"leaked cgroups: {string.Join(", ", cgroupDirs)}");
        var mounts = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(bundleDir, StringComparison.Ordinal)).ToList();
        Assert.True(mounts.Count == 0, $"leaked mounts: {string.Join("\n", mounts)}");
        var procs = ProcessesInCgroupsNamed(id);
        Assert.True(procs.Count == 0, $"leaked processes: {string.Join(", ", procs)}");
    }

    public static List<int> ProcessesInCgroupsNamed(string fragment)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cgroup")).Contains(fragment, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return found;
    }
}
