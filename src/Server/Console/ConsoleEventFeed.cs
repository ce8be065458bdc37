using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The events page's live feed: the server's shared event stream of each host (one upstream per host, whatever the
/// number of pages watching), merged as the events hub merges it.
/// </summary>
public sealed class ConsoleEventFeed(LiveFeeds feeds) : IEventFeed
{
    public async IAsyncEnumerable<ConsoleEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sources = feeds.Hosts.Select(h => feeds.Events.SubscribeAsync(h.Name, null, cancellationToken)).ToList();
        await using var events = StreamMerge.MergeAsync(sources, LiveFeeds.EventBuffer, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await events.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException or SlowClientException or IOException)
            {
                throw new ConsoleOperationException(ex.Message, ex);
            }

            yield return ToConsoleEvent(events.Current);
        }
    }

    public static ConsoleEvent ToConsoleEvent(HostEvent e) =>
        new(e.Host, e.Type, e.Action, e.ActorId, e.Attributes.TryGetValue("name", out var name) ? name : null, e.Attributes,
            DateTimeOffset.FromUnixTimeMilliseconds(e.TimeNano / 1_000_000));
}
