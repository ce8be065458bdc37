using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="Name">Network name.</param>
/// <param name="Driver">Driver (default <c>bridge</c>).</param>
/// <param name="Subnet">CIDR, e.g. <c>10.89.0.0/24</c>; absent: the agent picks one.</param>
/// <param name="Gateway">Gateway address inside the subnet.</param>
/// <param name="Internal">No route outside.</param>
/// <param name="Options">Driver options.</param>
/// <param name="Labels">Labels.</param>
public sealed record NetworkRequest(string? Name, string? Driver = null, string? Subnet = null, string? Gateway = null, bool Internal = false,
    IReadOnlyDictionary<string, string>? Options = null, IReadOnlyDictionary<string, string>? Labels = null);

/// <param name="Container">Container id or name.</param>
/// <param name="Aliases">connect: extra names on this network.</param>
/// <param name="Force">disconnect: also when the container is not running cleanly.</param>
public sealed record NetworkAttachRequest(string? Container, IReadOnlyList<string>? Aliases = null, bool Force = false);

/// <summary>One host's networks: <c>/api/v1/hosts/{host}/networks</c>. Answers are the agent's.</summary>
public static partial class NetworkApi
{
    public static RouteGroupBuilder MapNetworkApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hosts/{host}/networks").WithTags("Networks");
        var read = api.MapGroup("").RequireAuthorization(Policies.Read);
        var operate = api.MapGroup("").RequireAuthorization(Policies.Operate);
        read.MapGet("", ListAsync).WithName("ListNetworks").WithSummary("Networks of a host");
        read.MapGet("/{id}", InspectAsync).WithName("InspectNetwork").WithSummary("One network (id or name)");
        operate.MapPost("", CreateAsync).WithName("CreateNetwork").WithSummary("Create a network (operator)").ProducesValidationProblem();
        operate.MapPost("/prune", PruneAsync).WithName("PruneNetworks").WithSummary("Remove unused networks (operator)");
        operate.MapPost("/{id}/connect", (string host, string id, NetworkAttachRequest request, AgentRegistry agents, CancellationToken ct) =>
                AttachAsync(host, id, request, connect: true, agents, ct))
            .WithName("ConnectNetwork").WithSummary("Connect a container (operator)").ProducesValidationProblem();
        operate.MapPost("/{id}/disconnect", (string host, string id, NetworkAttachRequest request, AgentRegistry agents, CancellationToken ct) =>
                AttachAsync(host, id, request, connect: false, agents, ct))
            .WithName("DisconnectNetwork").WithSummary("Disconnect a container (operator)").ProducesValidationProblem();
        operate.MapDelete("/{id}", RemoveAsync).WithName("RemoveNetwork").WithSummary("Remove a network; 409 while containers use it (operator)");
        return api;
    }

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> ListAsync(string host, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.ListNetworksAsync(cancellationToken)));

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> InspectAsync(string host, string id, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.InspectNetworkAsync(id, cancellationToken)));

    public static async Task<Results<Created<JsonElement>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        string host, NetworkRequest request, AgentRegistry agents, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Name is null || !NamePattern().IsMatch(request.Name))
        {
            errors["name"] = [$"'{request.Name}' is not a network name: letters, digits, '_', '.', '-', starting with a letter or digit."];
        }

        if (request.Subnet is not null && !IPNetwork.TryParse(request.Subnet, out _))
        {
            errors["subnet"] = [$"'{request.Subnet}' is not a CIDR subnet (e.g. 10.89.0.0/24)."];
        }

        if (request.Gateway is not null && (!IPAddress.TryParse(request.Gateway, out var gateway)
            || (request.Subnet is not null && IPNetwork.TryParse(request.Subnet, out var subnet) && !subnet.Contains(gateway))))
        {
            errors["gateway"] = [$"'{request.Gateway}' is not an address inside the subnet."];
        }
        else if (request.Gateway is not null && request.Subnet is null)
        {
            errors["gateway"] = ["A gateway needs a subnet."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var body = new JsonObject
        {
            ["Name"] = request.Name,
            ["Driver"] = request.Driver ?? "bridge",
            ["Internal"] = request.Internal,
            ["CheckDuplicate"] = true,
            ["Options"] = VolumeApi.Map(request.Options),
            ["Labels"] = VolumeApi.Map(request.Labels),
        };
        if (request.Subnet is not null)
        {
            var config = new JsonObject { ["Subnet"] = request.Subnet };
            if (request.Gateway is not null)
            {
                config["Gateway"] = request.Gateway;
            }

            body["IPAM"] = new JsonObject { ["Driver"] = "default", ["Config"] = new JsonArray(config) };
        }

        var result = await AgentCalls.CallAsync(agents, host, async client =>
            TypedResults.Created($"/api/v1/hosts/{host}/networks/{request.Name}", await client.CreateNetworkAsync(body, cancellationToken) ?? default));
        return result.Result is ProblemHttpResult problem ? problem : (Created<JsonElement>)result.Result;
    }

    public static Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string host, string id, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.RemoveNetworkAsync(id, cancellationToken);
            return TypedResults.NoContent();
        });

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> PruneAsync(string host, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.PruneNetworksAsync(cancellationToken) ?? default));

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> AttachAsync(
        string host, string id, NetworkAttachRequest request, bool connect, AgentRegistry agents, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Container))
        {
            return AgentCalls.Invalid("container", "A container id or name is required.");
        }

        var body = new JsonObject { ["Container"] = request.Container };
        if (connect)
        {
            body["EndpointConfig"] = new JsonObject { ["Aliases"] = new JsonArray([.. (request.Aliases ?? []).Select(a => JsonValue.Create(a))]) };
        }
        else
        {
            body["Force"] = request.Force;
        }

        var result = await AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.ConnectNetworkAsync(id, connect, body, cancellationToken);
            return TypedResults.NoContent();
        });
        return result.Result is ProblemHttpResult problem ? problem : (NoContent)result.Result;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
