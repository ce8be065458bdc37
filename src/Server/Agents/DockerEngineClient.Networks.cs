using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContainerConsole.Server.Agents;

/// <summary>Network calls, answers passed through.</summary>
public sealed partial class DockerEngineClient
{
    /// <summary><c>GET /networks</c>.</summary>
    public Task<JsonElement> ListNetworksAsync(CancellationToken cancellationToken) => GetElementAsync("networks", cancellationToken);

    /// <summary><c>GET /networks/{id}</c>.</summary>
    public Task<JsonElement> InspectNetworkAsync(string id, CancellationToken cancellationToken) =>
        GetElementAsync($"networks/{Escape(id)}", cancellationToken);

    /// <summary><c>POST /networks/create</c>; returns <c>{"Id", "Warning"}</c>.</summary>
    public async Task<JsonElement?> CreateNetworkAsync(JsonObject body, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, "networks/create", body, cancellationToken);

    /// <summary><c>DELETE /networks/{id}</c>.</summary>
    public async Task RemoveNetworkAsync(string id, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Delete, $"networks/{Escape(id)}", null, cancellationToken);

    /// <summary><c>POST /networks/prune</c>.</summary>
    public async Task<JsonElement?> PruneNetworksAsync(CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, "networks/prune", null, cancellationToken);

    /// <summary><c>POST /networks/{id}/connect</c> or <c>disconnect</c>.</summary>
    public async Task ConnectNetworkAsync(string id, bool connect, JsonObject body, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, $"networks/{Escape(id)}/{(connect ? "connect" : "disconnect")}", body, cancellationToken);
}
