using System.Globalization;

namespace ContainerConsole.Runtime.State;

/// <summary>
/// A pid alone can be reused after the process dies; a pid plus its start time
/// (field 22 of /proc/PID/stat, in clock ticks since boot) names one process.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    public static ProcessIdentity? Of(int pid)
    {
        var start = ReadStartTime(pid);
        return start is null ? null : new ProcessIdentity(pid, start.Value);
    }

    /// <summary>True while the same process runs (a zombie counts as gone).</summary>
    public bool IsAlive
    {
        get
        {
            var stat = ReadStat(Pid);
            return stat is not null && ParseStartTime(stat) == StartTime && ParseState(stat) is not ('Z' or 'X');
        }
    }

    public static ulong? ReadStartTime(int pid) => ReadStat(pid) is { } s ? ParseStartTime(s) : null;

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The command name (field 2) may contain spaces and ')': parse after the last ')'.
    internal static ulong ParseStartTime(string stat)
    {
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.Parse(rest[19], CultureInfo.InvariantCulture); // field 22; rest[0] is field 3
    }

    internal static char ParseState(string stat) => stat[stat.LastIndexOf(')') + 2];
}
