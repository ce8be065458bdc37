using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>The body of POST /networks/{id}/connect and /disconnect.</summary>
public sealed class NetworkConnectRequest
{
    public string? Container { get; set; }
    public EndpointConfig? EndpointConfig { get; set; }
    public bool Force { get; set; }
}

/// <summary>/networks/...: Docker's network endpoints (bridge networks, and the built-in host and none).</summary>
public static class NetworksApi
{
    private static readonly string[] ListFilters = ["name", "id", "label", "driver", "type", "dangling", "scope"];

    public static IEndpointRouteBuilder MapNetworksApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/networks");
        g.MapGet("", (NetworkManager network, string? filters) =>
        {
            var f = DockerFilters.Parse(filters, ListFilters);
            return Results.Json(network.All.Where(n => Matches(n, f)).Select(NetworkViews.Network));
        });
        g.MapGet("/{id}", (NetworkManager network, string id) => Results.Json(NetworkViews.Network(network.Get(id))));
        g.MapPost("/create", (NetworkManager network, NetworkCreateRequest body) =>
        {
            var n = network.Create(body);
            return Results.Json(new { n.Id, Warning = "" }, statusCode: 201);
        });
        g.MapDelete("/{id}", async (NetworkManager network, string id) =>
        {
            await network.RemoveAsync(id);
            return Results.NoContent();
        });
        g.MapPost("/prune", async (NetworkManager network, string? filters) =>
        {
            var f = DockerFilters.Parse(filters, "until", "label", "label!");
            var now = DateTimeOffset.UtcNow;
            var removed = await network.PruneAsync(n => f.CreatedBefore(new DateTimeOffset(n.Created, TimeSpan.Zero), now) && f.MatchesLabels(n.Labels));
            return Results.Json(new { NetworksDeleted = removed });
        });
        g.MapPost("/{id}/connect", async (ContainerEngine engine, NetworkManager network, string id, NetworkConnectRequest body, CancellationToken ct) =>
        {
            var n = network.Get(id);
            await engine.ConnectAsync(RequireContainer(body), n, body.EndpointConfig ?? new EndpointConfig(), ct);
            return Results.Ok();
        });
        g.MapPost("/{id}/disconnect", async (ContainerEngine engine, NetworkManager network, string id, NetworkConnectRequest body, CancellationToken ct) =>
        {
            var n = network.Get(id);
            await engine.DisconnectAsync(RequireContainer(body), n, body.Force, ct);
            return Results.Ok();
        });
        return app;
    }

    private static string RequireContainer(NetworkConnectRequest body) =>
        string.IsNullOrEmpty(body.Container) ? throw EngineException.BadRequest("Container is required") : body.Container;

    /// <summary>Docker's network list filters: name (substring), id (prefix), label, driver, type custom|builtin, dangling, scope.</summary>
    public static bool Matches(NetworkRecord n, DockerFilters f)
    {
        static bool AnyOrAll(IReadOnlyList<string> values, Func<string, bool> test) => values.Count == 0 || values.Any(test);
        var type = f.Get("type");
        if (type.Any(t => t is not ("custom" or "builtin")))
            throw EngineException.BadRequest($"invalid filter: 'type'='{type.First(t => t is not ("custom" or "builtin"))}'");
        var dangling = f.Bool("dangling");
        return AnyOrAll(f.Get("name"), v => n.Name.Contains(v, StringComparison.Ordinal))
               && AnyOrAll(f.Get("id"), v => n.Id.StartsWith(v, StringComparison.Ordinal))
               && AnyOrAll(f.Get("driver"), v => v == n.Driver)
               && AnyOrAll(f.Get("scope"), v => v == "local")
               && AnyOrAll(type, v => v == (n.Builtin ? "builtin" : "custom"))
               && f.MatchesLabels(n.Labels)
               && dangling switch
               {
                   true => !n.Builtin && n.Endpoints.Count == 0,
                   false => n.Builtin || n.Endpoints.Count > 0,
                   null => true,
               };
    }
}
