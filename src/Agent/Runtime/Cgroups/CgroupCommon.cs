using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>Parsing and process/directory chores shared by the v1 and v2 managers.</summary>
internal static class CgroupCommon
{
    public const int SIGKILL = 9;

    // v1 reports "unlimited" as LONG_MAX rounded down to the page size (9223372036854771712 with 4K
    // pages); anything this large is treated as unlimited whatever the page size.
    private const ulong V1UnlimitedThreshold = 0x7FFF_FFFF_FFFF_0000;

    /// <summary>Flat-keyed files ("key value" per line: cpu.stat, memory.events, memory.oom_control, memory.stat).</summary>
    public static Dictionary<string, ulong> ParseFlatKeyed(string text)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var sp = line.IndexOf(' ');
            if (sp <= 0)
                continue;
            if (ulong.TryParse(line.AsSpan(sp + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                result[line[..sp]] = v;
        }
        return result;
    }

    /// <summary>Value of "oom_kill N" in memory.oom_control (v1) or memory.events (v2); 0 if absent.</summary>
    public static ulong ParseOomKill(string text) =>
        ParseFlatKeyed(text).TryGetValue("oom_kill", out var v) ? v : 0;

    /// <summary>"max" or a v1 page-rounded LONG_MAX → null; a number → itself.</summary>
    public static ulong? ParseLimit(string text)
    {
        var t = text.Trim();
        if (t is "max" or "" || t.StartsWith('-'))
            return null;
        var v = ulong.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture);
        return v >= V1UnlimitedThreshold ? null : v;
    }

    public static ulong ReadUlong(ICgroupFs fs, string path)
    {
        if (!fs.FileExists(path))
            return 0;
        return ulong.TryParse(fs.ReadFile(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    public static Dictionary<string, ulong> ReadFlatKeyed(ICgroupFs fs, string path) =>
        fs.FileExists(path) ? ParseFlatKeyed(fs.ReadFile(path)) : new Dictionary<string, ulong>();

    public static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);
    public static string Str(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Pids from cgroup.procs of <paramref name="dir"/> and every child cgroup below it.</summary>
    public static void CollectPids(ICgroupFs fs, string dir, List<int> into)
    {
        if (!fs.DirectoryExists(dir))
            return;
        var procs = System.IO.Path.Combine(dir, "cgroup.procs");
        if (fs.FileExists(procs))
        {
            foreach (var line in fs.ReadFile(procs).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !into.Contains(pid))
                    into.Add(pid);
            }
        }
        foreach (var child in fs.ListDirectories(dir))
            CollectPids(fs, System.IO.Path.Combine(dir, child), into);
    }

    /// <summary>
    /// Signals every task with the cgroup frozen, so a forking process cannot
    /// outrun the loop; frozen tasks cannot act on a signal, so SIGKILL thaws even
    /// a paused container to let it die.
    /// </summary>
    public static void SignalFrozen(ICgroupManager cgroup, bool canFreeze, int signal, CgroupOptions options)
    {
        var wasFrozen = cgroup.GetFreezerState() == CgroupFreezerState.Frozen;
        var froze = false;
        if (canFreeze && !wasFrozen)
        {
            try
            {
                cgroup.Freeze();
                froze = true;
            }
            catch (CgroupException)
            {
                // Could not freeze (forking storm); signal without it rather than not at all.
            }
        }
        try
        {
            foreach (var pid in cgroup.GetPids())
                Signal(options, pid, signal);
        }
        finally
        {
            if (froze || (wasFrozen && signal == SIGKILL))
                cgroup.Thaw();
        }
    }

    public static void Signal(CgroupOptions options, int pid, int signal)
    {
        if (options.SignalProcess is { } custom)
        {
            custom(pid, signal);
            return;
        }
        if (Tmds.Linux.LibC.kill(pid, signal) != 0)
        {
            var e = Marshal.GetLastPInvokeError();
            if (e != Errnos.ESRCH) // already gone between listing and signalling
                throw new CgroupException($"kill({pid}, {signal})", e);
        }
    }

    /// <summary>Polls <paramref name="done"/> until true or the timeout passes; returns the last result.</summary>
    public static bool WaitUntil(Func<bool> done, TimeSpan timeout, TimeSpan poll)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (done())
                return true;
            if (sw.Elapsed >= timeout)
                return false;
            Thread.Sleep(poll);
        }
    }

    /// <summary>
    /// rmdir of <paramref name="dir"/> after its child cgroups (deepest first). EBUSY is retried because
    /// a killed task stays charged to the cgroup until it has fully exited; ENOENT counts as done.
    /// </summary>
    public static void RemoveTree(ICgroupFs fs, string dir, CgroupOptions options)
    {
        if (!fs.DirectoryExists(dir))
            return;
        foreach (var child in fs.ListDirectories(dir))
            RemoveTree(fs, System.IO.Path.Combine(dir, child), options);

        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                fs.RemoveDirectory(dir);
                return;
            }
            catch (CgroupException e) when (e.Errno == Errnos.ENOENT)
            {
                return;
            }
            catch (CgroupException e) when (e.Errno == Errnos.EBUSY && sw.Elapsed < options.RemoveTimeout)
            {
                Thread.Sleep(options.PollInterval);
            }
        }
    }

    /// <summary>OCI access string → set of 'r','w','m' in canonical order; null/empty = "rwm".</summary>
    public static string NormalizeAccess(string? access, int index)
    {
        if (string.IsNullOrEmpty(access))
            return "rwm";
        foreach (var c in access)
        {
            if (c is not ('r' or 'w' or 'm'))
                throw new SpecValidationException($"linux.resources.devices[{index}].access \"{access}\" may only contain r, w, m");
        }
        return string.Concat("rwm".Where(access.Contains));
    }

    /// <summary>OCI device type: "a" (or null) = all, "c", "b".</summary>
    public static char NormalizeDeviceType(string? type, int index) => type switch
    {
        null or "" or "a" => 'a',
        "c" => 'c',
        "b" => 'b',
        _ => throw new SpecValidationException($"linux.resources.devices[{index}].type \"{type}\" must be a, c or b"),
    };

    /// <summary>Major/minor: null or -1 = wildcard; otherwise must fit a positive 32-bit eBPF immediate.</summary>
    public static long? CheckDeviceNumber(long? n, string field, int index)
    {
        if (n == -1)
            return null;
        if (n is < 0 or > int.MaxValue)
            throw new SpecValidationException($"linux.resources.devices[{index}].{field} {n} is out of range");
        return n;
    }
}
