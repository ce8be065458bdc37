using ContainerConsole.Server.Agents;

namespace ContainerConsole.Server.Metrics;

/// <summary>Turns Docker stats documents into <see cref="ContainerSample"/>s, as the docker CLI computes its figures.</summary>
public static class StatsCalculator
{
    /// <summary>
    /// The sample of <paramref name="stats"/>. CPU % compares its CPU counters with <paramref name="previous"/>
    /// when given (one-shot samples), else with the document's own <c>precpu_stats</c> (the 1 s stream).
    /// </summary>
    public static ContainerSample ToSample(string host, string containerId, DockerStats stats, DockerStats? previous = null)
    {
        var cpu = stats.CpuStats;
        var before = previous?.CpuStats ?? stats.PreCpuStats;
        var memory = stats.MemoryStats;
        var usage = (long)(memory?.Usage ?? 0);
        var cache = memory?.Stats is { } details
            ? details.GetValueOrDefault("total_inactive_file", details.GetValueOrDefault("inactive_file"))
            : 0UL;
        var memoryBytes = cache < (ulong)usage ? usage - (long)cache : usage;
        var limit = (long)(memory?.Limit ?? 0);
        long rx = 0, tx = 0;
        foreach (var network in stats.Networks?.Values ?? Enumerable.Empty<DockerNetworkStats>())
        {
            rx += (long)network.RxBytes;
            tx += (long)network.TxBytes;
        }

        long read = 0, write = 0;
        foreach (var entry in stats.BlkioStats?.IoServiceBytesRecursive ?? [])
        {
            if (entry.Op.Equals("read", StringComparison.OrdinalIgnoreCase))
            {
                read += (long)entry.Value;
            }
            else if (entry.Op.Equals("write", StringComparison.OrdinalIgnoreCase))
            {
                write += (long)entry.Value;
            }
        }

        return new ContainerSample(
            host,
            stats.Id is { Length: > 0 } id ? id : containerId,
            stats.Name?.TrimStart('/'),
            stats.Read == default ? DateTimeOffset.UtcNow : stats.Read.ToUniversalTime(),
            CpuPercent(cpu, before),
            (cpu?.CpuUsage?.TotalUsage ?? 0) / 1e9,
            memoryBytes,
            limit,
            limit > 0 ? Math.Round(100.0 * memoryBytes / limit, 2) : 0,
            rx,
            tx,
            read,
            write);
    }

    /// <summary>Docker's formula: container CPU time over host CPU time between two samples, times the online CPUs.</summary>
    public static double CpuPercent(DockerCpuStats? now, DockerCpuStats? before)
    {
        if (now?.CpuUsage is null || before?.CpuUsage is null)
        {
            return 0;
        }

        var cpuDelta = (double)now.CpuUsage.TotalUsage - before.CpuUsage.TotalUsage;
        var systemDelta = (double)now.SystemCpuUsage - before.SystemCpuUsage;
        var cpus = now.OnlineCpus > 0 ? now.OnlineCpus : now.CpuUsage.PercpuUsage?.Count ?? 1;
        return cpuDelta > 0 && systemDelta > 0 ? Math.Round(cpuDelta / systemDelta * cpus * 100, 2) : 0;
    }
}
