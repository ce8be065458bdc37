namespace ContainerConsole.Runtime.Cgroups;

/// <summary>
/// A snapshot of a container cgroup's accounting. Values the kernel does not provide are 0;
/// limits are null when unlimited ("max" on v2, the page-rounded LONG_MAX on v1).
/// </summary>
public sealed class CgroupStats
{
    /// <summary>v1 memory.usage_in_bytes / v2 memory.current.</summary>
    public ulong MemoryUsage { get; init; }
    /// <summary>v1 memory.limit_in_bytes / v2 memory.max; null = unlimited.</summary>
    public ulong? MemoryLimit { get; init; }
    /// <summary>v1 memory.max_usage_in_bytes / v2 memory.peak (0 before kernel 5.19).</summary>
    public ulong MemoryMaxUsage { get; init; }
    /// <summary>Page cache: v1 memory.stat total_cache / v2 memory.stat file.</summary>
    public ulong MemoryCache { get; init; }

    public ulong CpuUsageTotalNs { get; init; }
    public ulong CpuUsageUserNs { get; init; }
    public ulong CpuUsageSystemNs { get; init; }
    /// <summary>CFS enforcement periods elapsed (cpu.stat nr_periods).</summary>
    public ulong CpuPeriods { get; init; }
    /// <summary>Periods in which the group was throttled (cpu.stat nr_throttled).</summary>
    public ulong CpuThrottledPeriods { get; init; }
    public ulong CpuThrottledTimeNs { get; init; }

    public ulong PidsCurrent { get; init; }
    /// <summary>pids.max; null = "max".</summary>
    public ulong? PidsLimit { get; init; }

    /// <summary>Every counter of memory.stat (v1 names such as total_inactive_file, v2 names such as inactive_file).</summary>
    public IReadOnlyDictionary<string, ulong> MemoryStat { get; init; } = new Dictionary<string, ulong>();

    /// <summary>v1 cpuacct.usage_percpu, one entry per possible CPU; empty on v2, which has no per-CPU counter.</summary>
    public IReadOnlyList<ulong> CpuUsagePerCpuNs { get; init; } = [];

    public ulong IoReadBytes { get; init; }
    public ulong IoWriteBytes { get; init; }
}
