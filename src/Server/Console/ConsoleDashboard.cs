using System.Text.Json;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Metrics;
using ContainerConsole.Web.Services;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The dashboard's figures: each agent's <c>/info</c> (counts, CPUs, memory) and <c>/system/df</c> (disk use), asked of
/// all hosts at once; the containers' usage now from the metric sampler's latest samples and over time from its
/// 10 s history, summed per host and sampling round.
/// </summary>
public sealed class ConsoleDashboard(AgentRegistry agents, ServerMetrics metrics, IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time)
    : IDashboardService
{
    public async Task<DashboardSnapshot> GetAsync(TimeSpan history, CancellationToken cancellationToken)
    {
        var hosts = agents.Hosts;
        var latest = metrics.LatestSamples.ToList();
        var overviews = await Task.WhenAll(hosts.Select(h => OverviewAsync(h, latest, cancellationToken)));
        var now = time.GetUtcNow();
        return new DashboardSnapshot(overviews, await HistoryAsync(hosts, now - history, cancellationToken), now);
    }

    private static async Task<HostOverview> OverviewAsync(AgentHost host, List<ContainerSample> latest, CancellationToken cancellationToken)
    {
        var samples = latest.Where(s => s.Host == host.Name).ToList();
        var cpu = samples.Sum(s => s.CpuPercent);
        var memory = samples.Sum(s => s.MemoryBytes);
        try
        {
            var infoTask = host.Client.GetElementAsync("info", cancellationToken);
            var dfTask = host.Client.GetElementAsync("system/df", cancellationToken);
            var info = await infoTask;
            var df = await dfTask;
            return new HostOverview(
                host.Name, null,
                Int(info, "ContainersRunning"), Int(info, "ContainersPaused"), Int(info, "ContainersStopped"), Int(info, "Images"),
                Long(df, "LayersSize"),
                SumOf(df, "Containers", c => Long(c, "SizeRw")),
                SumOf(df, "Volumes", v => v.TryGetProperty("UsageData", out var usage) ? Math.Max(0, Long(usage, "Size")) : 0),
                Int(info, "NCPU"), Long(info, "MemTotal"), cpu, memory);
        }
        catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
        {
            return new HostOverview(host.Name, ex.Message, 0, 0, 0, 0, 0, 0, 0, 0, 0, cpu, memory);
        }
    }

    private async Task<IReadOnlyList<HostUsageHistory>> HistoryAsync(IReadOnlyList<AgentHost> hosts, DateTimeOffset from, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var names = hosts.Select(h => h.Name).ToList();
        var rows = await db.ContainerMetrics.AsNoTracking()
            .Where(m => m.ResolutionSeconds == MetricSampler.Resolution && m.Time >= from && names.Contains(m.Host))
            .Select(m => new { m.Host, m.Time, m.CpuPercent, m.MemoryBytes })
            .ToListAsync(cancellationToken);

        // Every sample of a round carries the round's time, so a round's sum is one point.
        return [.. names.Select(name => new HostUsageHistory(name, [.. rows.Where(r => r.Host == name)
            .GroupBy(r => r.Time)
            .OrderBy(g => g.Key)
            .Select(g => new UsagePoint(g.Key, g.Sum(r => r.CpuPercent), g.Sum(r => r.MemoryBytes)))]))];
    }

    private static int Int(JsonElement e, string name) => (int)Long(e, name);

    private static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static long SumOf(JsonElement e, string array, Func<JsonElement, long> value) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(array, out var items) && items.ValueKind == JsonValueKind.Array
            ? items.EnumerateArray().Sum(value)
            : 0;
}
