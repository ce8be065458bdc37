using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>Docker's --ulimit entry: nofile=1024:2048 becomes {"Name":"nofile","Soft":1024,"Hard":2048}.</summary>
public sealed class Ulimit
{
    public string Name { get; set; } = "";
    public long Soft { get; set; }
    public long Hard { get; set; }

    // the names docker's --ulimit takes (setrlimit(2) without the RLIMIT_ prefix, lower case)
    private static readonly string[] Known =
        ["as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

    /// <summary>The spec's rlimits; a 400 naming the entry for an unknown name or a soft limit above the hard one.</summary>
    public static List<Rlimit> ToRlimits(IEnumerable<Ulimit>? ulimits)
    {
        var result = new List<Rlimit>();
        foreach (var u in ulimits ?? [])
        {
            if (!Known.Contains(u.Name))
                throw EngineException.BadRequest($"invalid ulimit type: {u.Name}");
            if (u.Soft > u.Hard && u.Hard >= 0)
                throw EngineException.BadRequest($"ulimit soft limit must be less than or equal to hard limit: {u.Soft} > {u.Hard}");
            // -1 is "unlimited" (RLIM_INFINITY)
            result.Add(new Rlimit { Type = "RLIMIT_" + u.Name.ToUpperInvariant(), Soft = u.Soft < 0 ? ulong.MaxValue : (ulong)u.Soft, Hard = u.Hard < 0 ? ulong.MaxValue : (ulong)u.Hard });
        }
        return result;
    }
}
