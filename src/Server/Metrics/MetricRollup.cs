using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Metrics;

/// <summary>
/// Downsampling: every <see cref="MetricsOptions.RollupInterval"/>, each finished minute of 10 s samples becomes one
/// 1 min row per container (CPU % and memory averaged, limits and cumulative counters at their maximum), then
/// 10 s rows past <see cref="MetricsOptions.RawRetention"/> and 1 min rows past
/// <see cref="MetricsOptions.RollupRetention"/> are deleted. Plain LINQ, so it runs on SQLite and PostgreSQL alike.
/// </summary>
public sealed class MetricRollup(
    IDbContextFactory<ConsoleDbContext> contexts,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<MetricRollup> logger) : BackgroundService
{
    public const int Resolution = 60;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RollupInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunOnceAsync(time.GetUtcNow(), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Rolling up container metrics failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Rolls up every finished minute before <paramref name="now"/> not rolled up yet and applies retention; returns the rows made.</summary>
    public async Task<int> RunOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var end = Floor(now);
        var lastRolled = await db.ContainerMetrics.Where(m => m.ResolutionSeconds == Resolution)
            .OrderByDescending(m => m.Time).Select(m => (DateTimeOffset?)m.Time).FirstOrDefaultAsync(cancellationToken);
        var firstRaw = await db.ContainerMetrics.Where(m => m.ResolutionSeconds == MetricSampler.Resolution)
            .OrderBy(m => m.Time).Select(m => (DateTimeOffset?)m.Time).FirstOrDefaultAsync(cancellationToken);
        var start = lastRolled is { } last ? last.AddMinutes(1) : firstRaw is { } first ? Floor(first) : end;
        var made = 0;
        if (start < end)
        {
            var raw = await db.ContainerMetrics.AsNoTracking()
                .Where(m => m.ResolutionSeconds == MetricSampler.Resolution && m.Time >= start && m.Time < end)
                .ToListAsync(cancellationToken);
            var rows = raw.GroupBy(m => (m.Host, m.ContainerId, Minute: Floor(m.Time))).Select(g => new ContainerMetricEntity
            {
                Host = g.Key.Host,
                ContainerId = g.Key.ContainerId,
                ContainerName = g.OrderBy(m => m.Time).Last().ContainerName,
                Time = g.Key.Minute,
                ResolutionSeconds = Resolution,
                CpuPercent = Math.Round(g.Average(m => m.CpuPercent), 2),
                CpuSeconds = g.Max(m => m.CpuSeconds),
                MemoryBytes = (long)g.Average(m => m.MemoryBytes),
                MemoryLimitBytes = g.Max(m => m.MemoryLimitBytes),
                NetworkRxBytes = g.Max(m => m.NetworkRxBytes),
                NetworkTxBytes = g.Max(m => m.NetworkTxBytes),
                BlockReadBytes = g.Max(m => m.BlockReadBytes),
                BlockWriteBytes = g.Max(m => m.BlockWriteBytes),
            }).ToList();
            db.ContainerMetrics.AddRange(rows);
            await db.SaveChangesAsync(cancellationToken);
            made = rows.Count;
        }

        var rawCutoff = now - options.Value.RawRetention;
        var rollupCutoff = now - options.Value.RollupRetention;
        await db.ContainerMetrics.Where(m => m.ResolutionSeconds == MetricSampler.Resolution && m.Time < rawCutoff).ExecuteDeleteAsync(cancellationToken);
        await db.ContainerMetrics.Where(m => m.ResolutionSeconds == Resolution && m.Time < rollupCutoff).ExecuteDeleteAsync(cancellationToken);
        return made;
    }

    private static DateTimeOffset Floor(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
}
