using System.Net;
using System.Text.Json;
using ContainerConsole.Server.Agents;

namespace ContainerConsole.Server.Containers;

/// <summary>What a desired-state call did.</summary>
/// <param name="Id">The container's id now.</param>
/// <param name="Name">Its name.</param>
/// <param name="Action"><c>created</c>, <c>unchanged</c>, <c>started</c> (same settings, was not running) or <c>recreated</c>.</param>
/// <param name="Changed">False only for <c>unchanged</c>.</param>
/// <param name="Changes">What differed: setting names (<c>image</c>, <c>env</c>, <c>ports</c>...), <c>imageId</c> when the reference now names another image, <c>running</c>.</param>
/// <param name="ImageId">The image the container runs.</param>
/// <param name="ReplacedId">The id of the container it replaced, for <c>recreated</c>.</param>
public sealed record DesiredContainerResult(string Id, string Name, string Action, bool Changed, IReadOnlyList<string> Changes, string ImageId, string? ReplacedId = null);

/// <summary>
/// Makes a named container match its desired settings: creates it when missing, leaves it when nothing changed,
/// recreates it otherwise. The settings' canonical hash is kept as a label, so the comparison never depends on
/// how the agent echoes defaults back; the settings themselves are kept too, to name what changed and to recreate.
/// </summary>
public sealed class DesiredContainers(ILogger<DesiredContainers> logger)
{
    private static readonly JsonSerializerOptions SpecJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <param name="client">The host's agent.</param>
    /// <param name="name">The container's name.</param>
    /// <param name="spec">Valid settings (see <see cref="ContainerSpecs.Validate(ContainerSpec, bool)"/>).</param>
    /// <param name="forceRecreate">Recreate even when nothing changed (recreate after a pull).</param>
    /// <param name="cancellationToken">Request aborted.</param>
    public async Task<DesiredContainerResult> ApplyAsync(DockerEngineClient client, string name, ContainerSpec spec, bool forceRecreate, CancellationToken cancellationToken)
    {
        spec = spec with { Name = null };
        var canonical = ContainerSpecs.Canonical(spec);
        var hash = ContainerSpecs.Hash(canonical);
        var imageId = await ResolveImageAsync(client, spec.Image!, cancellationToken);
        var labels = new Dictionary<string, string>
        {
            [ContainerSpecs.DesiredHashLabel] = hash,
            [ContainerSpecs.DesiredSpecLabel] = JsonSerializer.Serialize(spec, SpecJson),
        };
        var body = ContainerSpecs.ToCreateBody(spec, labels);

        var existing = await TryInspectAsync(client, name, cancellationToken);
        if (existing is not { } current)
        {
            var id = await client.CreateContainerAsync(name, body, cancellationToken);
            await client.ContainerActionAsync(id, "start", cancellationToken);
            return new DesiredContainerResult(id, name, "created", true, ["created"], imageId);
        }

        var currentId = current.GetProperty("Id").GetString()!;
        var currentImage = await ImageIdOfAsync(client, current, currentId, cancellationToken);
        var currentLabels = Labels(current);
        var running = current.TryGetProperty("State", out var state) && state.TryGetProperty("Running", out var run) && run.GetBoolean();
        var changes = new List<string>();
        if (!currentLabels.TryGetValue(ContainerSpecs.DesiredHashLabel, out var currentHash) || currentHash != hash)
        {
            changes.AddRange(DescribeChanges(currentLabels, canonical));
        }

        if (!SameImage(currentImage, imageId))
        {
            changes.Add("imageId");
        }

        if (changes.Count == 0 && !forceRecreate)
        {
            if (running)
            {
                return new DesiredContainerResult(currentId, name, "unchanged", false, [], imageId);
            }

            await client.ContainerActionAsync(currentId, "start", cancellationToken);
            return new DesiredContainerResult(currentId, name, "started", true, ["running"], imageId);
        }

        var newId = await ReplaceAsync(client, name, currentId, running, body, cancellationToken);
        return new DesiredContainerResult(newId, name, "recreated", true, changes.Count == 0 ? ["recreate"] : changes, imageId, currentId);
    }

    /// <summary>The desired settings stored on a container by an earlier <see cref="ApplyAsync"/>, or null when it has none.</summary>
    public static ContainerSpec? StoredSpec(JsonElement inspect)
    {
        if (!Labels(inspect).TryGetValue(ContainerSpecs.DesiredSpecLabel, out var json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ContainerSpec>(json, SpecJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Pulls <paramref name="image"/> and waits for the end; throws with the agent's message when the pull failed.</summary>
    public static async Task<ProgressSummary> PullAsync(DockerEngineClient client, string image, CancellationToken cancellationToken)
    {
        using var response = await client.PullImageAsync(image, null, null, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var summary = await DockerProgress.ReadAsync(stream, null, cancellationToken);
        return summary.Error is { } error
            ? throw new DockerEngineException(PullFailureStatus(error), $"pull of {image} failed: {error}")
            : summary;
    }

    /// <summary>The status a failed pull deserves: 404 when the image does not exist, 502 when the registry failed.</summary>
    public static HttpStatusCode PullFailureStatus(string error) =>
        error.Contains("not found", StringComparison.OrdinalIgnoreCase) || error.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase)
            || error.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
            ? HttpStatusCode.NotFound
            : HttpStatusCode.BadGateway;

    /// <summary>
    /// Create the new container under a temporary name first: a setting the agent refuses loses nothing. Then stop the old
    /// one, swap the names, start the new one; if that start fails, the old one gets its name (and its run) back.
    /// </summary>
    private async Task<string> ReplaceAsync(DockerEngineClient client, string name, string oldId, bool wasRunning, System.Text.Json.Nodes.JsonObject body, CancellationToken cancellationToken)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var newId = await client.CreateContainerAsync($"{name}-next-{suffix}", body, cancellationToken);
        var oldName = $"{name}-old-{suffix}";
        var renamedOld = false;
        try
        {
            if (wasRunning)
            {
                await client.ContainerActionAsync(oldId, "stop", cancellationToken);
            }

            await client.RenameContainerAsync(oldId, oldName, cancellationToken);
            renamedOld = true;
            await client.RenameContainerAsync(newId, name, cancellationToken);
            await client.ContainerActionAsync(newId, "start", cancellationToken);
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException or OperationCanceledException)
        {
            await RollBackAsync(client, name, oldId, newId, renamedOld, wasRunning);
            throw;
        }

        try
        {
            await client.RemoveContainerAsync(oldId, force: true, cancellationToken);
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            // The new container runs; the stopped old one is only clutter, and its name says what it is.
            logger.LogWarning(ex, "Replaced container {Name}, but could not remove the old one ({OldName})", name, oldName);
        }

        return newId;
    }

    private async Task RollBackAsync(DockerEngineClient client, string name, string oldId, string newId, bool renamedOld, bool wasRunning)
    {
        // Not the request's token: the old container must get back even when the caller went away.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await client.RemoveContainerAsync(newId, force: true, timeout.Token);
            if (renamedOld)
            {
                await client.RenameContainerAsync(oldId, name, timeout.Token);
            }

            if (wasRunning)
            {
                await client.ContainerActionAsync(oldId, "start", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException or OperationCanceledException)
        {
            logger.LogError(ex, "Could not restore container {Name} ({OldId}) after a failed replacement", name, oldId);
        }
    }

    private static async Task<string> ResolveImageAsync(DockerEngineClient client, string image, CancellationToken cancellationToken)
    {
        JsonElement inspect;
        try
        {
            inspect = await client.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerEngineException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            await PullAsync(client, image, cancellationToken);
            inspect = await client.InspectImageAsync(image, cancellationToken);
        }

        return inspect.GetProperty("Id").GetString()!;
    }

    /// <summary>
    /// dockerd's inspect gives the image id as <c>Image</c>; an engine that gives the reference there instead (ccagent
    /// does) still lists the id as <c>ImageID</c>.
    /// </summary>
    private static async Task<string?> ImageIdOfAsync(DockerEngineClient client, JsonElement inspect, string id, CancellationToken cancellationToken)
    {
        if (inspect.TryGetProperty("Image", out var image) && image.GetString() is { } value && value.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return value;
        }

        var listed = await client.ListContainersAsync(new Dictionary<string, IReadOnlyList<string>> { ["id"] = [id] }, cancellationToken);
        return listed.FirstOrDefault(c => c.Id == id)?.ImageId;
    }

    private static async Task<JsonElement?> TryInspectAsync(DockerEngineClient client, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.InspectContainerAsync(name, cancellationToken);
        }
        catch (DockerEngineException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static IEnumerable<string> DescribeChanges(Dictionary<string, string> labels, System.Text.Json.Nodes.JsonObject canonical)
    {
        if (labels.TryGetValue(ContainerSpecs.DesiredSpecLabel, out var json))
        {
            try
            {
                if (JsonSerializer.Deserialize<ContainerSpec>(json, SpecJson) is { Image: not null } before)
                {
                    var differences = ContainerSpecs.Differences(ContainerSpecs.Canonical(before), canonical);
                    if (differences.Count > 0)
                    {
                        return differences;
                    }
                }
            }
            catch (JsonException)
            {
                // An unreadable label: say the settings changed, without detail.
            }
        }

        return ["settings"]; // made elsewhere, or by an older server
    }

    private static bool SameImage(string? a, string b) =>
        a is not null && (a == b || a.Replace("sha256:", "", StringComparison.Ordinal) == b.Replace("sha256:", "", StringComparison.Ordinal));

    private static Dictionary<string, string> Labels(JsonElement inspect)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inspect.TryGetProperty("Config", out var config) && config.ValueKind == JsonValueKind.Object
            && config.TryGetProperty("Labels", out var values) && values.ValueKind == JsonValueKind.Object)
        {
            foreach (var label in values.EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? "";
            }
        }

        return labels;
    }
}
