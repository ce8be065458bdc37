using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>Normalized reference → image id (config digest), kept in one crash-safe JSON file &lt;root&gt;/repositories.json.</summary>
public sealed class ReferenceStore
{
    private readonly Lock _lock = new();
    private readonly string _file;
    private SortedDictionary<string, string> _refs;

    public ReferenceStore(string root)
    {
        Directory.CreateDirectory(root);
        _file = Path.Combine(Path.GetFullPath(root), "repositories.json");
        _refs = Load();
    }

    /// <summary>Points <paramref name="reference"/> (normalized first) at <paramref name="imageId"/>; returns the normalized reference.</summary>
    public string Tag(string reference, string imageId) => TagMany([(reference, imageId)])[0];

    /// <summary>Tags several references in one atomic write.</summary>
    public IReadOnlyList<string> TagMany(IEnumerable<(string Reference, string ImageId)> tags)
    {
        var list = tags.Select(t => (Ref: ImageReference.Normalize(t.Reference), Id: t.ImageId)).ToList();
        foreach (var (_, id) in list)
        {
            Digests.Hex(id, "image id");
        }

        lock (_lock)
        {
            var next = new SortedDictionary<string, string>(_refs, StringComparer.Ordinal);
            foreach (var (r, id) in list)
            {
                next[r] = id;
            }

            Persist(next);
        }

        return list.Select(t => t.Ref).ToList();
    }

    /// <summary>Removes a reference; false when it was not there.</summary>
    public bool Untag(string reference)
    {
        var normalized = ImageReference.Normalize(reference);
        lock (_lock)
        {
            if (!_refs.ContainsKey(normalized))
            {
                return false;
            }

            var next = new SortedDictionary<string, string>(_refs, StringComparer.Ordinal);
            next.Remove(normalized);
            Persist(next);
            return true;
        }
    }

    /// <summary>
    /// Resolves a full image id, an id prefix (with or without "sha256:", at least 4 hex) of a referenced image, or a
    /// name (normalized). Returns null when nothing matches; throws <see cref="InvalidOperationException"/> on an ambiguous prefix.
    /// </summary>
    public string? Resolve(string nameOrId) => Resolve(nameOrId, []);

    /// <summary>As <see cref="Resolve(string)"/>, also matching id prefixes against <paramref name="otherIds"/> (untagged images).</summary>
    public string? Resolve(string nameOrId, IEnumerable<string> otherIds)
    {
        var snapshot = Snapshot();
        var hex = nameOrId.StartsWith(Digests.Prefix, StringComparison.Ordinal) ? nameOrId[7..] : nameOrId;
        var isHexPrefix = hex.Length is >= 4 and <= 64 && hex.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
        if (isHexPrefix)
        {
            var matches = snapshot.Values.Concat(otherIds).Distinct()
                .Where(id => id.AsSpan(7).StartsWith(hex, StringComparison.Ordinal)).ToList();
            if (matches.Count == 1 && (hex.Length == 64 || nameOrId.StartsWith(Digests.Prefix, StringComparison.Ordinal) || !IsName(snapshot, nameOrId)))
            {
                return matches[0];
            }

            if (matches.Count > 1)
            {
                throw new InvalidOperationException($"image id prefix \"{nameOrId}\" is ambiguous");
            }
        }

        if (ImageReference.TryParse(nameOrId, out var parsed) && snapshot.TryGetValue(parsed.ToString(), out var byName))
        {
            return byName;
        }

        return null;
    }

    /// <summary>All references, sorted.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> List() => Snapshot().ToList();

    /// <summary>References pointing at one image.</summary>
    public IReadOnlyList<string> ReferencesTo(string imageId) =>
        Snapshot().Where(kv => kv.Value == imageId).Select(kv => kv.Key).ToList();

    private static bool IsName(IReadOnlyDictionary<string, string> snapshot, string text) =>
        ImageReference.TryParse(text, out var parsed) && snapshot.ContainsKey(parsed.ToString());

    private SortedDictionary<string, string> Snapshot()
    {
        lock (_lock)
        {
            return _refs;
        }
    }

    private SortedDictionary<string, string> Load()
    {
        if (!File.Exists(_file))
        {
            return new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        var doc = JsonSerializer.Deserialize(File.ReadAllBytes(_file), ReferenceJsonContext.Default.ReferenceFile)
            ?? throw new InvalidDataException($"{_file} is empty");
        return new SortedDictionary<string, string>(doc.References, StringComparer.Ordinal);
    }

    private void Persist(SortedDictionary<string, string> next)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new ReferenceFile { References = next }, ReferenceJsonContext.Default.ReferenceFile);
        AtomicFile.Write(_file, bytes);
        _refs = next; // replaced, never mutated: readers hold an immutable snapshot
    }
}

internal sealed class ReferenceFile
{
    [JsonPropertyName("references")] public IDictionary<string, string> References { get; init; } = new Dictionary<string, string>();
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(ReferenceFile))]
internal sealed partial class ReferenceJsonContext : JsonSerializerContext;
