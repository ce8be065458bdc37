namespace ContainerConsole.Web.Model;

/// <summary>
/// The newest <see cref="Capacity"/> items, oldest first: adding to a full buffer drops the oldest, so a log view
/// following a chatty container keeps constant memory. Not thread-safe: a component uses it on its render thread.
/// </summary>
public sealed class RingBuffer<T>
{
    private readonly T[] _items;
    private int _start;

    public RingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    public int Capacity => _items.Length;

    public int Count { get; private set; }

    /// <summary>Items dropped to make room since the last <see cref="Clear"/>.</summary>
    public long Dropped { get; private set; }

    /// <summary>Items ever added since the last <see cref="Clear"/>: a stable number for the item at index i is <c>Added - Count + i</c>.</summary>
    public long Added { get; private set; }

    /// <summary>The item at <paramref name="index"/>, 0 being the oldest kept.</summary>
    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The buffer holds {Count} items.");
            }

            return _items[(_start + index) % _items.Length];
        }
    }

    public void Add(T item)
    {
        Added++;
        if (Count < _items.Length)
        {
            _items[(_start + Count) % _items.Length] = item;
            Count++;
            return;
        }

        _items[_start] = item;
        _start = (_start + 1) % _items.Length;
        Dropped++;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _start = 0;
        Count = 0;
        Dropped = 0;
        Added = 0;
    }

    /// <summary>Up to <paramref name="count"/> items from <paramref name="start"/> on, oldest first.</summary>
    public IEnumerable<T> Slice(int start, int count)
    {
        var end = Math.Min(Count, start + count);
        for (var i = Math.Max(0, start); i < end; i++)
        {
            yield return this[i];
        }
    }
}
