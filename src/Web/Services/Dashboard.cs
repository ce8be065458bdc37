namespace ContainerConsole.Web.Services;

/// <summary>
/// One host on the dashboard: container counts and host capacity from the agent's <c>/info</c>, disk use from
/// <c>/system/df</c>, and what its running containers use now (the metric sampler's latest samples — the containers'
/// usage, not the host's: processes outside containers are not counted).
/// </summary>
/// <param name="Host">The host's name.</param>
/// <param name="Error">Why the host could not be asked; the figures are then zero.</param>
/// <param name="Running">Running containers.</param>
/// <param name="Paused">Paused containers.</param>
/// <param name="Stopped">Containers neither running nor paused.</param>
/// <param name="Images">Images on the host.</param>
/// <param name="ImagesBytes">Disk used by image layers (shared layers counted once).</param>
/// <param name="ContainersBytes">Disk used by containers' writable layers.</param>
/// <param name="VolumesBytes">Disk used by volumes, where the agent reports it.</param>
/// <param name="Cpus">The host's CPUs (NCPU).</param>
/// <param name="MemoryTotal">The host's memory in bytes (MemTotal).</param>
/// <param name="ContainersCpuPercent">Sum of the running containers' CPU %, as <c>docker stats</c> counts it (100 % = one core).</param>
/// <param name="ContainersMemoryBytes">Sum of the running containers' memory, page cache excluded.</param>
public sealed record HostOverview(
    string Host,
    string? Error,
    int Running,
    int Paused,
    int Stopped,
    int Images,
    long ImagesBytes,
    long ContainersBytes,
    long VolumesBytes,
    int Cpus,
    long MemoryTotal,
    double ContainersCpuPercent,
    long ContainersMemoryBytes);

/// <summary>What a host's containers used together at one sampling time.</summary>
public sealed record UsagePoint(DateTimeOffset Time, double CpuPercent, long MemoryBytes);

/// <summary>A host's containers' usage over time, oldest first.</summary>
public sealed record HostUsageHistory(string Host, IReadOnlyList<UsagePoint> Points);

/// <summary>Everything the dashboard shows but the live events.</summary>
public sealed record DashboardSnapshot(IReadOnlyList<HostOverview> Hosts, IReadOnlyList<HostUsageHistory> History, DateTimeOffset At);

/// <summary>The dashboard's figures. Implemented by the server from the agents and the metric history.</summary>
public interface IDashboardService
{
    /// <summary>Every host's figures, and their containers' usage over the last <paramref name="history"/>.</summary>
    Task<DashboardSnapshot> GetAsync(TimeSpan history, CancellationToken cancellationToken);
}
