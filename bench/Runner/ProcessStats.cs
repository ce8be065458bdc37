namespace ContainerConsole.Bench;

/// <summary>CPU time and memory of sets of processes, from /proc.</summary>
public static class ProcessStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on Linux x86-64

    /// <summary>Resident set size in bytes (VmRSS), 0 when the process is gone.</summary>
    public static long Rss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>User plus system CPU seconds of the process so far, 0 when it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond; // utime, stime (fields 14, 15)
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Processes whose command line contains <paramref name="marker"/> and whose program name is one of <paramref name="names"/>.</summary>
    public static IReadOnlyList<int> Find(string marker, params string[] names)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                if (cmdline.Contains(marker, StringComparison.Ordinal) && names.Any(n => comm.StartsWith(n, StringComparison.Ordinal)))
                    found.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
