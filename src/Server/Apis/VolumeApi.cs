using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="Name">Volume name; absent: the agent picks one.</param>
/// <param name="Driver">Driver (default <c>local</c>).</param>
/// <param name="DriverOpts">Driver options.</param>
/// <param name="Labels">Labels.</param>
public sealed record VolumeRequest(string? Name = null, string? Driver = null, IReadOnlyDictionary<string, string>? DriverOpts = null, IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>One host's volumes: <c>/api/v1/hosts/{host}/volumes</c>. Answers are the agent's.</summary>
public static partial class VolumeApi
{
    public static RouteGroupBuilder MapVolumeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hosts/{host}/volumes").WithTags("Volumes");
        var read = api.MapGroup("").RequireAuthorization(Policies.Read);
        var operate = api.MapGroup("").RequireAuthorization(Policies.Operate);
        read.MapGet("", ListAsync).WithName("ListVolumes").WithSummary("Volumes of a host");
        read.MapGet("/{name}", InspectAsync).WithName("InspectVolume").WithSummary("One volume");
        operate.MapPost("", CreateAsync).WithName("CreateVolume").WithSummary("Create a volume (operator)").ProducesValidationProblem();
        operate.MapPost("/prune", PruneAsync).WithName("PruneVolumes").WithSummary("Remove unused anonymous volumes; ?all=true every unused one (operator)");
        operate.MapDelete("/{name}", RemoveAsync).WithName("RemoveVolume").WithSummary("Remove a volume; 409 while a container uses it (operator)");
        return api;
    }

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> ListAsync(string host, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.ListVolumesAsync(cancellationToken)));

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> InspectAsync(string host, string name, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.InspectVolumeAsync(name, cancellationToken)));

    public static async Task<Results<Created<JsonElement>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        string host, VolumeRequest request, AgentRegistry agents, CancellationToken cancellationToken)
    {
        if (request.Name is not null && !NamePattern().IsMatch(request.Name))
        {
            return AgentCalls.Invalid("name", $"'{request.Name}' is not a volume name: letters, digits, '_', '.', '-', starting with a letter or digit.");
        }

        var body = new JsonObject
        {
            ["Name"] = request.Name ?? "",
            ["Driver"] = request.Driver ?? "local",
            ["DriverOpts"] = Map(request.DriverOpts),
            ["Labels"] = Map(request.Labels),
        };
        var result = await AgentCalls.CallAsync(agents, host, async client =>
        {
            var created = await client.CreateVolumeAsync(body, cancellationToken) ?? default;
            var name = created.ValueKind == JsonValueKind.Object && created.TryGetProperty("Name", out var n) ? n.GetString() : request.Name;
            return TypedResults.Created($"/api/v1/hosts/{host}/volumes/{name}", created);
        });
        return result.Result is ProblemHttpResult problem ? problem : (Created<JsonElement>)result.Result;
    }

    public static Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string host, string name, AgentRegistry agents, CancellationToken cancellationToken, bool force = false) =>
        AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.RemoveVolumeAsync(name, force, cancellationToken);
            return TypedResults.NoContent();
        });

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> PruneAsync(string host, AgentRegistry agents, CancellationToken cancellationToken, bool all = false) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.PruneVolumesAsync(all, cancellationToken) ?? default));

    internal static JsonObject Map(IReadOnlyDictionary<string, string>? values)
    {
        var json = new JsonObject();
        foreach (var (key, value) in values ?? new Dictionary<string, string>())
        {
            json[key] = value;
        }

        return json;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
