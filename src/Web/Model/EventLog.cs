using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>What the events page shows: every filter is optional; text filters match a part, case-insensitively.</summary>
/// <param name="Host">Exact host name.</param>
/// <param name="Type">container, image, network or volume.</param>
/// <param name="Action">Part of the action (<c>die</c>, <c>exec_start</c>).</param>
/// <param name="Container">Part of the container's name or id (container events only).</param>
public sealed record EventQuery(string? Host = null, string? Type = null, string? Action = null, string? Container = null)
{
    public static IReadOnlyList<string> Types { get; } = ["container", "image", "network", "volume"];

    public bool Matches(ConsoleEvent e) =>
        (string.IsNullOrEmpty(Host) || e.Host == Host)
        && (string.IsNullOrEmpty(Type) || e.Type == Type)
        && (string.IsNullOrWhiteSpace(Action) || e.Action.Contains(Action.Trim(), StringComparison.OrdinalIgnoreCase))
        && (string.IsNullOrWhiteSpace(Container)
            || (e.Type == "container"
                && ((e.Name?.Contains(Container.Trim(), StringComparison.OrdinalIgnoreCase) ?? false)
                    || (e.ActorId?.StartsWith(Container.Trim(), StringComparison.OrdinalIgnoreCase) ?? false))));
}

/// <summary>
/// The newest events, bounded (<see cref="RingBuffer{T}"/>: the oldest are dropped and counted). While
/// <see cref="Paused"/>, new events are held back (bounded too) and shown on resume, so the list stands still to be read.
/// </summary>
public sealed class EventLog(int capacity = EventLog.DefaultCapacity)
{
    public const int DefaultCapacity = 2000;

    private readonly RingBuffer<ConsoleEvent> _shown = new(capacity);
    private readonly RingBuffer<ConsoleEvent> _held = new(capacity);

    public bool Paused { get; private set; }

    /// <summary>Events held back while paused.</summary>
    public int Held => _held.Count;

    /// <summary>Events dropped because the buffer was full.</summary>
    public long Dropped => _shown.Dropped;

    public int Count => _shown.Count;

    public int Capacity => _shown.Capacity;

    public void Add(ConsoleEvent e)
    {
        if (Paused)
        {
            _held.Add(e);
        }
        else
        {
            _shown.Add(e);
        }
    }

    public void Pause() => Paused = true;

    public void Resume()
    {
        Paused = false;
        foreach (var e in _held.Slice(0, _held.Count))
        {
            _shown.Add(e);
        }

        _held.Clear();
    }

    public void Clear()
    {
        _shown.Clear();
        _held.Clear();
    }

    /// <summary>The shown events that match <paramref name="query"/>, newest first.</summary>
    public List<ConsoleEvent> Matching(EventQuery query)
    {
        var list = new List<ConsoleEvent>();
        for (var i = _shown.Count - 1; i >= 0; i--)
        {
            if (query.Matches(_shown[i]))
            {
                list.Add(_shown[i]);
            }
        }

        return list;
    }

    /// <summary>The hosts seen, for the host filter.</summary>
    public IReadOnlyList<string> Hosts => [.. _shown.Slice(0, _shown.Count).Select(e => e.Host).Distinct().Order(StringComparer.Ordinal)];
}
