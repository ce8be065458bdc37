using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Containers;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Metrics;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The resources tab's server side, on the parts the REST API and hubs use: live samples from the stats hub's shared
/// per-container feed, history from the metric history API, limit changes through the REST update (operator,
/// audited as <c>container.update</c> (source ui)).
/// </summary>
public sealed class ConsoleContainerResources(
    ConsoleGate gate, AgentRegistry agents, LiveFeeds feeds, IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time)
    : IContainerResources
{
    public async IAsyncEnumerable<ResourceSample> LiveAsync(string host, string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (agents.Find(host) is null)
        {
            throw new KeyNotFoundException($"No host is named '{host}'.");
        }

        await foreach (var sample in feeds.Stats.SubscribeAsync(new ContainerRef(host, id), null, cancellationToken))
        {
            yield return new ResourceSample(sample.Time, sample.CpuPercent, sample.MemoryBytes, sample.MemoryLimitBytes,
                sample.NetworkRxBytes, sample.NetworkTxBytes, sample.BlockReadBytes, sample.BlockWriteBytes);
        }
    }

    public async Task<IReadOnlyList<ResourceSample>> HistoryAsync(string host, string id, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var result = await MetricsApi.GetHistoryAsync(host, id, agents, contexts, time, cancellationToken, from, to);
        return result.Result switch
        {
            Ok<MetricSeries> { Value: { } series } => [.. series.Points.Select(p => new ResourceSample(
                p.Time, p.CpuPercent, p.MemoryBytes, p.MemoryLimitBytes, p.NetworkRxBytes, p.NetworkTxBytes, p.BlockReadBytes, p.BlockWriteBytes))],
            ProblemHttpResult problem => throw new ConsoleOperationException(problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "No history."),
            ValidationProblem invalid => throw new ConsoleOperationException(string.Join(" ", invalid.ProblemDetails.Errors.SelectMany(e => e.Value))),
            var other => throw new InvalidOperationException($"Unexpected history result {other.GetType().Name}."),
        };
    }

    public async Task UpdateLimitsAsync(string host, string id, LimitsChange change, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Operate, "change containers' limits", "container.update", host, $"{host}/{id}");
        var result = await HostContainerApi.UpdateAsync(host, id, new ContainerLimits(change.Memory, change.Cpus, change.PidsLimit), agents, cancellationToken);
        await gate.FinishAsync(attempt, result.Result);
    }
}
