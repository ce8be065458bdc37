using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>A kept log line: <see cref="Plain"/> is the text without escape sequences (searched and matched).</summary>
public sealed record LogRow(long Number, LogSource Source, DateTimeOffset Time, string Text, string Plain);

/// <summary>Which lines the log view shows: a stream (null: both) and a search term (empty: all).</summary>
public sealed record LogFilter(LogSource? Source = null, string Search = "")
{
    public bool IsEmpty => Source is null && Search.Length == 0;

    public bool Matches(LogRow row) =>
        (Source is null || row.Source == Source)
        && (Search.Length == 0 || row.Plain.Contains(Search, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The log view's lines: the newest <see cref="RingBuffer{T}.Capacity"/> in a ring, and the numbers of those the
/// filter matches, kept up to date as lines arrive (only new lines are tested) and as old ones fall out.
/// </summary>
public sealed class LogBuffer(int capacity)
{
    private readonly RingBuffer<LogRow> _rows = new(capacity);
    private readonly List<int> _matches = []; // offsets into the ring's Added numbering, ascending
    private long _matchBase; // _matches hold Number - _matchBase, so they fit an int for any realistic run

    public LogFilter Filter { get; private set; } = new();

    public int Capacity => _rows.Capacity;

    /// <summary>Lines kept.</summary>
    public int Kept => _rows.Count;

    /// <summary>Lines dropped to stay within the capacity.</summary>
    public long Dropped => _rows.Dropped;

    /// <summary>Lines shown: those the filter matches.</summary>
    public int Count => Filter.IsEmpty ? _rows.Count : _matches.Count;

    /// <summary>The <paramref name="index"/>th line shown.</summary>
    public LogRow this[int index] => Filter.IsEmpty ? _rows[index] : _rows[(int)(_matches[index] + _matchBase - FirstNumber)];

    public IEnumerable<LogRow> Slice(int start, int count)
    {
        var end = Math.Min(Count, start + count);
        for (var i = Math.Max(0, start); i < end; i++)
        {
            yield return this[i];
        }
    }

    private long FirstNumber => _rows.Added - _rows.Count;

    public void Add(LogLine line)
    {
        var row = new LogRow(_rows.Added, line.Source, line.Time, line.Text, AnsiText.Strip(line.Text));
        _rows.Add(row);
        if (!Filter.IsEmpty && Filter.Matches(row))
        {
            _matches.Add((int)(row.Number - _matchBase));
        }

        // Matches of lines that fell out of the ring go too (they are at the front).
        var dropped = 0;
        while (dropped < _matches.Count && _matches[dropped] + _matchBase < FirstNumber)
        {
            dropped++;
        }

        if (dropped > 0)
        {
            _matches.RemoveRange(0, dropped);
        }
    }

    public void SetFilter(LogFilter filter)
    {
        Filter = filter;
        _matches.Clear();
        _matchBase = FirstNumber;
        if (filter.IsEmpty)
        {
            return;
        }

        for (var i = 0; i < _rows.Count; i++)
        {
            if (filter.Matches(_rows[i]))
            {
                _matches.Add((int)(_rows[i].Number - _matchBase));
            }
        }
    }

    public void Clear()
    {
        _rows.Clear();
        _matches.Clear();
        _matchBase = 0;
    }
}
