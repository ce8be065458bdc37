using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>One layer's line of a pull, push or load: its last status and byte counters.</summary>
public sealed record LayerState(string Id, string Status, long? Current, long? Total)
{
    /// <summary>Done so far (0–1) when the agent gave both counters; a finished layer ("Pull complete", "Pushed") is whole.</summary>
    public double? Fraction => Total is > 0 && Current is { } current
        ? Math.Clamp((double)current / Total.Value, 0, 1)
        : IsDone ? 1 : null;

    public bool IsDone => Status is "Pull complete" or "Already exists" or "Pushed" or "Layer already exists" or "Loading layer complete" or "Mounted from";
}

/// <summary>
/// The messages of a long image operation folded into what the page shows: one bar per layer (in first-seen order),
/// the overall fraction over the layers whose size is known, the output lines (the last <see cref="MaxOutput"/>),
/// general status lines, the image ids announced and the error that ended it.
/// </summary>
public sealed class ImageProgressModel
{
    public const int MaxOutput = 5000;

    private readonly List<LayerState> _layers = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly RingBuffer<string> _output = new(MaxOutput);
    private readonly List<string> _imageIds = [];
    private readonly Dictionary<string, long> _sizes = new(StringComparer.Ordinal);

    public IReadOnlyList<LayerState> Layers => _layers;

    public IReadOnlyList<string> ImageIds => _imageIds;

    public IEnumerable<string> Output => _output.Slice(0, _output.Count);

    public int OutputCount => _output.Count;

    public string? Status { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Bytes done over bytes known, across layers; null before any layer has a size.</summary>
    public double? Fraction
    {
        get
        {
            long total = 0, done = 0;
            foreach (var layer in _layers)
            {
                if (_sizes.TryGetValue(layer.Id, out var size) && size > 0)
                {
                    total += size;
                    done += layer.IsDone ? size : Math.Min(layer.Current ?? 0, size);
                }
            }

            return total == 0 ? null : (double)done / total;
        }
    }

    public void Apply(ImageProgress message)
    {
        if (message.Error is { } error)
        {
            Error = error;
        }

        if (message.ImageId is { Length: > 0 } id && !_imageIds.Contains(id))
        {
            _imageIds.Add(id);
        }

        if (message.Output is { } output)
        {
            foreach (var line in output.Split('\n'))
            {
                _output.Add(line.TrimEnd('\r'));
            }
        }

        if (message.Layer is { Length: > 0 } layer && message.Status is { } status)
        {
            // A pull says "Downloading" then "Extracting" with their own counters: the size is the largest total seen.
            if (message.Total is > 0 && (!_sizes.TryGetValue(layer, out var known) || message.Total > known))
            {
                _sizes[layer] = message.Total.Value;
            }

            var state = new LayerState(layer, status, message.Current, message.Total);
            if (_index.TryGetValue(layer, out var at))
            {
                _layers[at] = state;
            }
            else
            {
                _index[layer] = _layers.Count;
                _layers.Add(state);
            }
        }
        else if (message.Status is { Length: > 0 } general)
        {
            Status = general;
        }
    }
}
