using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ContainerConsole.Server.Hubs;

/// <summary>What a subscription does when its client cannot keep up.</summary>
public enum SlowClientPolicy
{
    /// <summary>Keep the newest items and drop the oldest (stats: only the latest sample matters).</summary>
    DropOldest,

    /// <summary>End the subscription with <see cref="SlowClientException"/> (events: a gap would mislead).</summary>
    DropSubscription,
}

/// <summary>A subscriber's buffer overflowed: it was dropped so that it could not stall the agent stream or other clients.</summary>
public sealed class SlowClientException(int capacity)
    : Exception($"The client fell more than {capacity} messages behind and was dropped; subscribe again.");

/// <summary>
/// One upstream agent stream shared by every subscriber of the same key. The upstream starts with the first
/// subscriber and stops with the last. Each subscriber has its own bounded channel, written without waiting,
/// so a slow subscriber never holds up the upstream or the others.
/// </summary>
public sealed class SharedFeed<TKey, T>(
    Func<TKey, CancellationToken, IAsyncEnumerable<T>> upstream,
    int capacity,
    SlowClientPolicy policy,
    ILogger logger) where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Feed> _feeds = [];

    /// <summary>Number of upstream streams open now.</summary>
    public int OpenUpstreams
    {
        get
        {
            lock (_gate)
            {
                return _feeds.Count;
            }
        }
    }

    /// <summary>Items of <paramref name="key"/>'s upstream from now on, until the caller cancels or the upstream ends.</summary>
    public async IAsyncEnumerable<T> SubscribeAsync(TKey key, Func<T, bool>? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            FullMode = policy == SlowClientPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        var subscriber = new Subscriber(channel, filter);
        Feed feed;
        lock (_gate)
        {
            if (!_feeds.TryGetValue(key, out feed!))
            {
                feed = new Feed();
                _feeds[key] = feed;
                feed.Subscribers.Add(subscriber);
                feed.Task = Task.Run(() => RunAsync(key, feed), CancellationToken.None);
            }
            else
            {
                feed.Subscribers.Add(subscriber);
            }
        }

        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            Unsubscribe(key, feed, subscriber);
        }
    }

    private void Unsubscribe(TKey key, Feed feed, Subscriber subscriber)
    {
        lock (_gate)
        {
            feed.Subscribers.Remove(subscriber);
            if (feed.Subscribers.Count > 0)
            {
                return;
            }

            if (_feeds.TryGetValue(key, out var current) && ReferenceEquals(current, feed))
            {
                _feeds.Remove(key);
            }
        }

        feed.Stop.Cancel();
    }

    private async Task RunAsync(TKey key, Feed feed)
    {
        Exception? failure = null;
        try
        {
            await foreach (var item in upstream(key, feed.Stop.Token).WithCancellation(feed.Stop.Token))
            {
                Subscriber[] subscribers;
                lock (_gate)
                {
                    subscribers = [.. feed.Subscribers];
                }

                foreach (var subscriber in subscribers)
                {
                    if (subscriber.Filter is { } filter && !filter(item))
                    {
                        continue;
                    }

                    if (!subscriber.Channel.Writer.TryWrite(item))
                    {
                        // Only DropSubscription refuses a write: this client is too slow.
                        subscriber.Channel.Writer.TryComplete(new SlowClientException(capacity));
                        logger.LogInformation("Dropped a slow subscriber of {Key}", key);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (feed.Stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            failure = ex;
            logger.LogDebug("The upstream of {Key} failed: {Error}", key, ex.Message);
        }

        lock (_gate)
        {
            if (_feeds.TryGetValue(key, out var current) && ReferenceEquals(current, feed))
            {
                _feeds.Remove(key);
            }

            foreach (var subscriber in feed.Subscribers)
            {
                subscriber.Channel.Writer.TryComplete(failure);
            }
        }
    }

    private sealed record Subscriber(Channel<T> Channel, Func<T, bool>? Filter);

    private sealed class Feed
    {
        public List<Subscriber> Subscribers { get; } = [];

        /// <summary>Cancelled by the last subscriber leaving; never disposed, as a late unsubscribe may still cancel it.</summary>
        public CancellationTokenSource Stop { get; } = new();

        public Task? Task { get; set; }
    }
}
