namespace ContainerConsole.Server.Infrastructure.Entities;

/// <summary>
/// One stored metric sample of a container: a 10 s sample (<see cref="ResolutionSeconds"/> 10, kept a day) or a
/// 1 min rollup of them (60, kept a week). Network and block I/O are the container's cumulative counters.
/// </summary>
public sealed class ContainerMetricEntity
{
    public long Id { get; set; }

    /// <summary>Host name as registered.</summary>
    public required string Host { get; set; }

    /// <summary>Full container id.</summary>
    public required string ContainerId { get; set; }

    public string? ContainerName { get; set; }

    /// <summary>Start of the sample's interval.</summary>
    public DateTimeOffset Time { get; set; }

    /// <summary>10 or 60.</summary>
    public int ResolutionSeconds { get; set; }

    public double CpuPercent { get; set; }

    /// <summary>Cumulative CPU time of the container.</summary>
    public double CpuSeconds { get; set; }

    public long MemoryBytes { get; set; }

    public long MemoryLimitBytes { get; set; }

    public long NetworkRxBytes { get; set; }

    public long NetworkTxBytes { get; set; }

    public long BlockReadBytes { get; set; }

    public long BlockWriteBytes { get; set; }
}
