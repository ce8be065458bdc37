using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContainerConsole.Server.Agents;

/// <summary>Volume calls, answers passed through.</summary>
public sealed partial class DockerEngineClient
{
    /// <summary><c>GET /volumes</c>.</summary>
    public Task<JsonElement> ListVolumesAsync(CancellationToken cancellationToken) => GetElementAsync("volumes", cancellationToken);

    /// <summary><c>GET /volumes/{name}</c>.</summary>
    public Task<JsonElement> InspectVolumeAsync(string name, CancellationToken cancellationToken) =>
        GetElementAsync($"volumes/{Escape(name)}", cancellationToken);

    /// <summary><c>POST /volumes/create</c>.</summary>
    public async Task<JsonElement?> CreateVolumeAsync(JsonObject body, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, "volumes/create", body, cancellationToken);

    /// <summary><c>DELETE /volumes/{name}?force=</c>.</summary>
    public async Task RemoveVolumeAsync(string name, bool force, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Delete, $"volumes/{Escape(name)}{(force ? "?force=1" : "")}", null, cancellationToken);

    /// <summary><c>POST /volumes/prune</c>: anonymous unused volumes, or every unused one when <paramref name="all"/>.</summary>
    public async Task<JsonElement?> PruneVolumesAsync(bool all, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, "volumes/prune" + (all ? "?filters=" + Escape("""{"all":["true"]}""") : ""), null, cancellationToken);
}
