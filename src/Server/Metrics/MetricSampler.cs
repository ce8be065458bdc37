using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Metrics;

/// <summary>
/// Every <see cref="MetricsOptions.SampleInterval"/>, asks each host for a one-shot stats sample of each running
/// container (hosts in parallel) and stores it at 10 s resolution. CPU % is computed against this sampler's
/// previous sample of the container, so no call waits for a second baseline.
/// </summary>
public sealed class MetricSampler(
    AgentRegistry registry,
    IDbContextFactory<ConsoleDbContext> contexts,
    ServerMetrics metrics,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<MetricSampler> logger) : BackgroundService
{
    public const int Resolution = 10;

    private readonly Dictionary<(string Host, string Container), DockerStats> _previous = [];
    private readonly SemaphoreSlim _round = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        try
        {
            do
            {
                try
                {
                    await SampleOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Sampling container metrics failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sampling round over every host; returns the number of samples stored.</summary>
    public async Task<int> SampleOnceAsync(CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            var hosts = registry.Hosts;
            metrics.KeepHosts(hosts.Select(h => h.Name).ToHashSet(StringComparer.Ordinal));
            var results = await Task.WhenAll(hosts.Select(h => SampleHostAsync(h, cancellationToken)));
            var samples = results.SelectMany(r => r).ToList();
            var now = time.GetUtcNow();
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.ContainerMetrics.AddRange(samples.Select(s => ToEntity(s, now)));
            await db.SaveChangesAsync(cancellationToken);
            return samples.Count;
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task<List<ContainerSample>> SampleHostAsync(AgentHost host, CancellationToken cancellationToken)
    {
        var samples = new List<ContainerSample>();
        IReadOnlyList<DockerContainer> running;
        try
        {
            running = [.. (await host.Client.ListContainersAsync(all: false, cancellationToken)).Where(c => c.State == "running")];
        }
        catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
        {
            logger.LogDebug("Cannot sample {Host}: {Error}", host.Name, ex.Message);
            metrics.RecordHost(host.Name, up: false, []);
            return samples;
        }

        foreach (var container in running)
        {
            try
            {
                var stats = await host.Client.GetStatsOnceAsync(container.Id, cancellationToken);
                DockerStats? previous;
                lock (_previous)
                {
                    _previous.TryGetValue((host.Name, container.Id), out previous);
                    _previous[(host.Name, container.Id)] = stats;
                }

                // The first sample has no baseline: 0 % rather than an average since the container started.
                var sample = StatsCalculator.ToSample(host.Name, container.Id, stats, previous ?? stats);
                samples.Add(sample with { ContainerId = container.Id, Name = sample.Name ?? container.Names.FirstOrDefault()?.TrimStart('/') });
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
            {
                logger.LogDebug("No stats for {Container} on {Host}: {Error}", container.Id, host.Name, ex.Message);
            }
        }

        lock (_previous)
        {
            foreach (var key in _previous.Keys.Where(k => k.Host == host.Name && !running.Any(c => c.Id == k.Container)).ToList())
            {
                _previous.Remove(key);
            }
        }

        metrics.RecordHost(host.Name, up: true, samples);
        return samples;
    }

    private static ContainerMetricEntity ToEntity(ContainerSample sample, DateTimeOffset now) => new()
    {
        Host = sample.Host,
        ContainerId = sample.ContainerId.Length <= 64 ? sample.ContainerId : sample.ContainerId[..64],
        ContainerName = sample.Name is { Length: > 256 } name ? name[..256] : sample.Name,
        Time = now,
        ResolutionSeconds = Resolution,
        CpuPercent = sample.CpuPercent,
        CpuSeconds = sample.CpuSeconds,
        MemoryBytes = sample.MemoryBytes,
        MemoryLimitBytes = sample.MemoryLimitBytes,
        NetworkRxBytes = sample.NetworkRxBytes,
        NetworkTxBytes = sample.NetworkTxBytes,
        BlockReadBytes = sample.BlockReadBytes,
        BlockWriteBytes = sample.BlockWriteBytes,
    };

    public override void Dispose()
    {
        _round.Dispose();
        base.Dispose();
    }
}
