using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Hosts;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The containers page's live list: a snapshot of every host, then a host's fresh list whenever its agent reports a
/// container event (through the shared per-host event feed the events hub uses, so many open pages cost one agent
/// stream per host). Events arriving together cause one list call. A host whose event stream fails is polled every
/// <see cref="PollInterval"/> until its stream can be opened again. A host registered while the page is open is
/// watched and listed from then on; a removed one stops being watched and is reported as no longer registered.
/// </summary>
public sealed class ConsoleContainerFeed(ContainersService containers, LiveFeeds feeds, AgentRegistry registry, ILogger<ConsoleContainerFeed> logger) : IContainerFeed
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long to gather events before listing (a restart is several events).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    public async IAsyncEnumerable<ContainerFeedUpdate> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A host name: list that host again. Null: the set of registered hosts changed.
        var changed = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
        void OnRegistryChanged() => changed.Writer.TryWrite(null);

        var watchers = new HostWatchers(this, changed.Writer, stop.Token);
        registry.Changed += OnRegistryChanged;
        try
        {
            // Subscribe (to the hosts too) before the snapshot, so nothing that happens while listing is missed.
            watchers.Reconcile(feeds.Hosts.Select(h => h.Name));
            var snapshot = await containers.GetContainersAsync(null, cancellationToken);
            yield return new ContainerFeedUpdate(watchers.Names, snapshot.Containers, snapshot.UnreachableHosts, IsSnapshot: true);

            while (await changed.Reader.WaitToReadAsync(cancellationToken))
            {
                await Task.Delay(Settle, cancellationToken);
                var dirty = new HashSet<string>(StringComparer.Ordinal);
                var hostsChanged = false;
                while (changed.Reader.TryRead(out var host))
                {
                    if (host is null)
                    {
                        hostsChanged = true;
                    }
                    else
                    {
                        dirty.Add(host);
                    }
                }

                if (hostsChanged)
                {
                    dirty.UnionWith(watchers.Reconcile(feeds.Hosts.Select(h => h.Name)));
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
            registry.Changed -= OnRegistryChanged;
            await stop.CancelAsync();
            await watchers.StopAllAsync();
        }
    }

    /// <summary>One event watcher per registered host of one open page.</summary>
    private sealed class HostWatchers(ConsoleContainerFeed feed, ChannelWriter<string?> changed, CancellationToken stopping)
    {
        private readonly Dictionary<string, (CancellationTokenSource Stop, Task Run)> _running = new(StringComparer.Ordinal);
        private readonly List<(CancellationTokenSource Stop, Task Run)> _stopped = [];

        public IReadOnlyList<string> Names => [.. _running.Keys];

        /// <summary>Starts watching new hosts and stops watching removed ones; returns the hosts of either kind.</summary>
        public IReadOnlyList<string> Reconcile(IEnumerable<string> registered)
        {
            var current = registered.ToHashSet(StringComparer.Ordinal);
            var touched = new List<string>();
            foreach (var (name, watch) in _running.Where(w => !current.Contains(w.Key)).ToList())
            {
                watch.Stop.Cancel(); // disposed at the end: the watcher may still be using its token
                _stopped.Add(watch);
                _running.Remove(name);
                touched.Add(name);
            }

            foreach (var name in current.Where(n => !_running.ContainsKey(n)))
            {
                var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                _running[name] = (stop, Task.Run(() => feed.WatchHostAsync(name, changed, stop.Token), CancellationToken.None));
                touched.Add(name);
            }

            return touched;
        }

        public async Task StopAllAsync()
        {
            var all = _running.Values.Concat(_stopped).ToList();
            await Task.WhenAll(all.Select(w => w.Run));
            foreach (var watch in all)
            {
                watch.Stop.Dispose();
            }
        }
    }

    private async Task WatchHostAsync(string host, ChannelWriter<string?> changed, CancellationToken cancellationToken)
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
