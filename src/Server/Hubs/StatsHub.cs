using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Metrics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary><c>/hubs/stats</c>: a sample per container about every second (viewer and up).</summary>
[Authorize(Policy = Policies.Read)]
public sealed class StatsHub(LiveFeeds feeds) : Hub
{
    /// <summary>Samples of one container from the agent's stats stream, shared with every other client watching it.</summary>
    public IAsyncEnumerable<ContainerSample> Stream(string host, string container, CancellationToken cancellationToken)
    {
        feeds.Host(host);
        return feeds.Stats.SubscribeAsync(new ContainerRef(host, container), null, cancellationToken).Explained(cancellationToken);
    }
}

/// <summary><c>/hubs/events</c>: the agents' events, filtered, across hosts (viewer and up).</summary>
[Authorize(Policy = Policies.Read)]
public sealed class EventsHub(LiveFeeds feeds) : Hub
{
    public IAsyncEnumerable<HostEvent> Stream(EventFilter? filter, CancellationToken cancellationToken)
    {
        filter ??= new EventFilter();
        var hosts = filter.Hosts is { Count: > 0 } names
            ? names.Select(feeds.Host).ToList()
            : [.. feeds.Hosts];
        return StreamMerge.MergeAsync([.. hosts.Select(h => feeds.Events.SubscribeAsync(h.Name, e => Matches(filter, e), cancellationToken))], LiveFeeds.EventBuffer, cancellationToken)
            .Explained(cancellationToken);
    }

    public static bool Matches(EventFilter filter, HostEvent message) =>
        (filter.Types is not { Count: > 0 } types || types.Contains(message.Type))
        && (filter.Actions is not { Count: > 0 } actions || actions.Contains(message.Action) || actions.Contains(message.Action.Split(':')[0]))
        && (filter.Containers is not { Count: > 0 } containers
            || (message.Type == "container" && (containers.Contains(message.ActorId ?? "") || (message.Attributes.TryGetValue("name", out var name) && containers.Contains(name)))));
}
