namespace ContainerConsole.Web.Services;

/// <summary>
/// A container's resource figures at one time: CPU as <c>docker stats</c> shows it (100 % = one core), memory without
/// the page cache against its limit (the host's memory when none), network and block I/O as cumulative byte counters.
/// </summary>
public sealed record ResourceSample(
    DateTimeOffset Time,
    double CpuPercent,
    long MemoryBytes,
    long MemoryLimitBytes,
    long NetworkRxBytes,
    long NetworkTxBytes,
    long BlockReadBytes,
    long BlockWriteBytes);

/// <summary>Live limits to change (<c>docker update</c>); null leaves one as it is.</summary>
/// <param name="Memory">Bytes, or with a unit k, m, g (e.g. <c>256m</c>).</param>
/// <param name="Cpus">Cores, e.g. 0.5.</param>
/// <param name="PidsLimit">Most processes at once.</param>
public sealed record LimitsChange(string? Memory = null, double? Cpus = null, long? PidsLimit = null);

/// <summary>A container's resource use, live and past, and its live limits. Implemented by the server.</summary>
public interface IContainerResources
{
    /// <summary>About one sample a second while the container runs (the stats hub's shared feed).</summary>
    /// <exception cref="KeyNotFoundException">No such host.</exception>
    IAsyncEnumerable<ResourceSample> LiveAsync(string host, string id, CancellationToken cancellationToken);

    /// <summary>The recorded history between <paramref name="from"/> and <paramref name="to"/> (10 s points up to 6 h, then 1 min).</summary>
    /// <exception cref="ConsoleOperationException">No history, or the host is unknown; the message says which.</exception>
    Task<IReadOnlyList<ResourceSample>> HistoryAsync(string host, string id, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Changes the limits of a running container (operator role, audited).</summary>
    /// <exception cref="ConsoleValidationException">Limits the server refuses, by field (memory, cpus, pidsLimit).</exception>
    /// <exception cref="ConsoleAccessDeniedException">The user's role may not change containers.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached.</exception>
    Task UpdateLimitsAsync(string host, string id, LimitsChange change, CancellationToken cancellationToken);
}
