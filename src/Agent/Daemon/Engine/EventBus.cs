using System.Threading.Channels;

namespace ContainerConsole.Agent.Engine;

/// <summary>One Docker event: Type (container, image...), Action (start, die, health_status: healthy...), the actor and when.</summary>
public sealed record EngineEvent(string Type, string Action, string ActorId, IReadOnlyDictionary<string, string> Attributes, long TimeNano)
{
    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(TimeNano / 100);
}

/// <summary>
/// The agent's events: a bounded history (for `docker events --since`) and live subscribers. A subscriber that
/// reads too slowly loses its oldest pending events rather than slowing the engine, as dockerd drops them.
/// </summary>
public sealed class EventBus(TimeProvider clock)
{
    public const int HistorySize = 1000;
    public const int SubscriberBuffer = 1024;

    private readonly Queue<EngineEvent> _history = new();
    private readonly List<Channel<EngineEvent>> _subscribers = [];
    private readonly Lock _lock = new();

    public EventBus() : this(TimeProvider.System)
    {
    }

    public void Publish(string type, string action, string actorId, IReadOnlyDictionary<string, string> attributes)
    {
        var now = clock.GetUtcNow();
        var e = new EngineEvent(type, action, actorId, attributes, (now - DateTimeOffset.UnixEpoch).Ticks * 100);
        lock (_lock)
        {
            if (_history.Count == HistorySize)
                _history.Dequeue();
            _history.Enqueue(e);
            foreach (var s in _subscribers)
                s.Writer.TryWrite(e); // never waits: a full buffer drops its oldest event
        }
    }

    /// <summary>A container event with Docker's attributes: its labels, then name and image (and the extra ones).</summary>
    public void Container(ContainerModel c, string action, params (string Key, string Value)[] extra)
    {
        var attributes = new Dictionary<string, string>(c.Config.Labels ?? []);
        attributes["image"] = c.Config.Image ?? "";
        attributes["name"] = c.Name;
        foreach (var (k, v) in extra)
            attributes[k] = v;
        Publish("container", action, c.Id, attributes);
    }

    /// <summary>An image event: the actor is the image ID or reference, as dockerd names it per action.</summary>
    public void Image(string action, string actorId, string name) =>
        Publish("image", action, actorId, new Dictionary<string, string> { ["name"] = name });

    /// <summary>The history so far and, from the same instant on, every new event: nothing is missed or seen twice.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<EngineEvent>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false,
        });
        lock (_lock)
        {
            _subscribers.Add(channel);
            return new Subscription([.. _history], channel.Reader, () =>
            {
                lock (_lock)
                    _subscribers.Remove(channel);
                channel.Writer.TryComplete();
            });
        }
    }

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
                return _subscribers.Count;
        }
    }

    public sealed class Subscription(IReadOnlyList<EngineEvent> history, ChannelReader<EngineEvent> live, Action unsubscribe) : IDisposable
    {
        public IReadOnlyList<EngineEvent> History { get; } = history;
        public ChannelReader<EngineEvent> Live { get; } = live;
        public void Dispose() => unsubscribe();
    }
}
