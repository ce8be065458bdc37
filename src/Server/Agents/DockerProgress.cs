using System.Text.Json;

namespace ContainerConsole.Server.Agents;

/// <summary>
/// What a pull, push, load or build reported on its JSON-lines stream: whether it ended in an error, the messages
/// worth keeping (per-layer byte counters are dropped), and the image ids it announced.
/// </summary>
/// <param name="Error">The stream's <c>error</c> line, if any: the work failed after the agent answered 200.</param>
/// <param name="Messages">Status and build output lines, in order (at most <see cref="DockerProgress.MaxMessages"/>, the last ones).</param>
/// <param name="Ids">Image ids from <c>aux.ID</c> (build) and <c>Loaded image ID:</c> lines.</param>
public sealed record ProgressSummary(string? Error, IReadOnlyList<string> Messages, IReadOnlyList<string> Ids)
{
    public bool Succeeded => Error is null;
}

/// <summary>Reads Docker's progress streams (one JSON object per line).</summary>
public static class DockerProgress
{
    public const int MaxMessages = 200;

    /// <summary>Reads the whole stream, calling <paramref name="onLine"/> with each raw line first (to forward it), and sums it up.</summary>
    public static async Task<ProgressSummary> ReadAsync(Stream stream, Func<string, Task>? onLine, CancellationToken cancellationToken)
    {
        var messages = new Queue<string>();
        var ids = new List<string>();
        string? error = null;
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (onLine is not null)
            {
                await onLine(line);
            }

            var (message, id, lineError) = Parse(line);
            error ??= lineError;
            if (id is not null && !ids.Contains(id))
            {
                ids.Add(id);
            }

            if (message is not null)
            {
                messages.Enqueue(message);
                if (messages.Count > MaxMessages)
                {
                    messages.Dequeue();
                }
            }
        }

        return new ProgressSummary(error, [.. messages], ids);
    }

    private static (string? Message, string? Id, string? Error) Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (line, null, null);
            }

            if (Text(root, "error") is { } error)
            {
                return (null, null, error);
            }

            string? id = null;
            if (root.TryGetProperty("aux", out var aux) && aux.ValueKind == JsonValueKind.Object && Text(aux, "ID") is { } auxId)
            {
                id = auxId;
            }

            if (Text(root, "stream") is { } text)
            {
                text = text.TrimEnd('\n', '\r');
                const string loadedId = "Loaded image ID: ";
                if (text.StartsWith(loadedId, StringComparison.Ordinal))
                {
                    id ??= text[loadedId.Length..].Trim();
                }

                return (text.Length == 0 ? null : text, id, null);
            }

            // Byte counters of one layer ("Downloading", with progressDetail) are noise in a summary.
            if (Text(root, "status") is { } status && !(root.TryGetProperty("progressDetail", out var detail) && detail.ValueKind == JsonValueKind.Object && detail.EnumerateObject().Any()))
            {
                var layer = Text(root, "id");
                return (layer is null ? status : $"{layer}: {status}", id, null);
            }

            return (null, id, null);
        }
        catch (JsonException)
        {
            return (line, null, null); // not JSON: keep it as it is
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
