namespace ContainerConsole.Server.Metrics;

/// <summary>
/// One container's figures at one time, as the UI shows them: CPU as a percentage of one core times the
/// host's cores (Docker's <c>docker stats</c> figure), memory without the page cache, cumulative I/O counters.
/// </summary>
public sealed record ContainerSample(
    string Host,
    string ContainerId,
    string? Name,
    DateTimeOffset Time,
    double CpuPercent,
    double CpuSeconds,
    long MemoryBytes,
    long MemoryLimitBytes,
    double MemoryPercent,
    long NetworkRxBytes,
    long NetworkTxBytes,
    long BlockReadBytes,
    long BlockWriteBytes);
