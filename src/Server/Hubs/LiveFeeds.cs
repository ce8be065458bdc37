using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Metrics;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// The shared upstreams: one stats stream per container and one event stream per host, whatever the number of
/// clients watching. Stats subscribers keep the 4 newest samples (older ones are dropped: a graph wants the latest);
/// event subscribers that fall 1024 events behind are dropped with <see cref="SlowClientException"/>.
/// </summary>
public sealed class LiveFeeds
{
    public const int StatsBuffer = 4;
    public const int EventBuffer = 1024;

    private readonly AgentRegistry _agents;

    public LiveFeeds(AgentRegistry agents, ILogger<LiveFeeds> logger)
    {
        _agents = agents;
        Stats = new SharedFeed<ContainerRef, ContainerSample>(StreamStatsAsync, StatsBuffer, SlowClientPolicy.DropOldest, logger);
        Events = new SharedFeed<string, HostEvent>(StreamEventsAsync, EventBuffer, SlowClientPolicy.DropSubscription, logger);
    }

    public SharedFeed<ContainerRef, ContainerSample> Stats { get; }

    public SharedFeed<string, HostEvent> Events { get; }

    /// <exception cref="HubException">No host has that name.</exception>
    public AgentHost Host(string name) =>
        _agents.Find(name) ?? throw new HubException($"No host is named '{name}'.");

    public IReadOnlyList<AgentHost> Hosts => _agents.Hosts;

    private async IAsyncEnumerable<ContainerSample> StreamStatsAsync(ContainerRef target, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var host = Host(target.Host);
        await foreach (var stats in host.Client.StreamStatsAsync(target.Container, cancellationToken))
        {
            yield return StatsCalculator.ToSample(host.Name, target.Container, stats);
        }
    }

    private async IAsyncEnumerable<HostEvent> StreamEventsAsync(string hostName, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var host = Host(hostName);
        await foreach (var message in host.Client.StreamEventsAsync(null, cancellationToken))
        {
            yield return new HostEvent(
                host.Name,
                message.Type,
                message.Action,
                message.Actor?.Id,
                message.Actor?.Attributes ?? [],
                message.TimeNano != 0 ? message.TimeNano : message.Time * 1_000_000_000);
        }
    }
}
