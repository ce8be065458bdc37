using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ContainerConsole.Server.Hosts;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The containers page's live list: a snapshot of every host, then a host's fresh list whenever its agent reports a
/// container event (through the shared per-host event feed the events hub uses, so many open pages cost one agent
/// stream per host). Events arriving together cause one list call. A host whose event stream fails is polled every
/// <see cref="PollInterval"/> until its stream can be opened again.
/// </summary>
public sealed class ConsoleContainerFeed(ContainersService containers, LiveFeeds feeds, ILogger<ConsoleContainerFeed> logger) : IContainerFeed
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long to gather events before listing (a restart is several events).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    public async IAsyncEnumerable<ContainerFeedUpdate> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var changed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var hosts = feeds.Hosts.Select(h => h.Name).ToList();

        // Subscribe before the snapshot, so nothing that happens while listing is missed.
        var watchers = hosts.Select(h => Task.Run(() => WatchHostAsync(h, changed.Writer, stop.Token), CancellationToken.None)).ToList();
        try
        {
            var snapshot = await containers.GetContainersAsync(null, cancellationToken);
            yield return new ContainerFeedUpdate(hosts, snapshot.Containers, snapshot.UnreachableHosts, IsSnapshot: true);

            while (await changed.Reader.WaitToReadAsync(cancellationToken))
            {
                await Task.Delay(Settle, cancellationToken);
                var dirty = new HashSet<string>(StringComparer.Ordinal);
                while (changed.Reader.TryRead(out var host))
                {
                    dirty.Add(host);
                }

                foreach (var host in dirty)
                {
                    ContainerList list;
                    try
                    {
                        list = await containers.GetContainersAsync(host, cancellationToken);
                    }
                    catch (KeyNotFoundException)
                    {
                        list = new ContainerList([], [new HostError(host, $"The host '{host}' is no longer registered.")]);
                    }

                    yield return new ContainerFeedUpdate([host], list.Containers, list.UnreachableHosts, IsSnapshot: false);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(watchers);
        }
    }

    private async Task WatchHostAsync(string host, ChannelWriter<string> changed, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in feeds.Events.SubscribeAsync(host, e => e.Type == "container", cancellationToken))
                {
                    changed.TryWrite(host);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogDebug("Events of {Host} unavailable, polling: {Error}", host, ex.Message);
            }

            // The stream ended or failed: poll once now and again after each interval until it can be reopened.
            changed.TryWrite(host);
            try
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
