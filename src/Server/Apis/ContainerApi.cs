using System.Net;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosts;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

public static class ContainerApi
{
    private static readonly string[] Actions = ["start", "stop", "restart", "kill", "pause", "unpause"];

    public static RouteGroupBuilder MapContainerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/containers").WithTags("Containers");

        api.MapGet("", GetContainersAsync)
            .RequireAuthorization(Policies.Read)
            .WithName("GetContainers")
            .WithSummary("Containers of every host, running or not")
            .WithDescription("The agents' GET /containers/json?all=1, each container tagged with its host. Hosts that cannot be asked are listed in unreachableHosts. Filters (each repeatable) are applied by the agents.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var operate = api.MapGroup("/{host}/{id}").RequireAuthorization(Policies.Operate);
        operate.MapPost("/{action}", ActAsync)
            .WithName("ContainerAction")
            .WithSummary("start, stop, restart, kill, pause or unpause a container (operator)")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        operate.MapDelete("", RemoveAsync)
            .WithName("RemoveContainer")
            .WithSummary("Remove a container (operator)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    /// <param name="containers">The containers service.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="host">Only this host (its name as in GET /api/v1/hosts).</param>
    /// <param name="state">Only containers in this state: created, restarting, running, removing, paused, exited, dead.</param>
    /// <param name="label">Only containers with this label: <c>key</c> or <c>key=value</c>.</param>
    /// <param name="image">Only containers of this image (or one built on it).</param>
    /// <param name="name">Only containers whose name contains this.</param>
    public static async Task<Results<Ok<ContainerList>, ValidationProblem, ProblemHttpResult>> GetContainersAsync(
        ContainersService containers,
        CancellationToken cancellationToken,
        string? host = null,
        string[]? state = null,
        string[]? label = null,
        string[]? image = null,
        string[]? name = null)
    {
        if (state?.FirstOrDefault(s => s is not ("created" or "restarting" or "running" or "removing" or "paused" or "exited" or "dead")) is { } badState)
        {
            return AgentCalls.Invalid("state", $"Unknown state '{badState}'; use created, restarting, running, removing, paused, exited or dead.");
        }

        var filters = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (key, values) in new[] { ("status", state), ("label", label), ("ancestor", image), ("name", name) })
        {
            if (values is { Length: > 0 })
            {
                filters[key] = values;
            }
        }

        try
        {
            return TypedResults.Ok(await containers.GetContainersAsync(host, filters, cancellationToken));
        }
        catch (KeyNotFoundException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown host", detail: ex.Message);
        }
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ActAsync(
        string host, string id, string action, AgentRegistry agents, CancellationToken cancellationToken)
    {
        if (!Actions.Contains(action))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["action"] = [$"Unknown action '{action}'; use {string.Join(", ", Actions)}."],
            });
        }

        return await CallAgentAsync(agents, host, client => client.ContainerActionAsync(id, action, cancellationToken));
    }

    /// <param name="host">Host name.</param>
    /// <param name="id">Container id or name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="force">Kill a running container first.</param>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RemoveAsync(
        string host, string id, AgentRegistry agents, CancellationToken cancellationToken, bool force = false) =>
        await CallAgentAsync(agents, host, client => client.RemoveContainerAsync(id, force, cancellationToken));

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> CallAgentAsync(
        AgentRegistry agents, string host, Func<DockerEngineClient, Task> call)
    {
        if (agents.Find(host) is not { } agent)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown host", detail: $"No host is named '{host}'.");
        }

        try
        {
            await call(agent.Client);
            return TypedResults.NoContent();
        }
        catch (DockerEngineException ex)
        {
            // The agent's own verdict (no such container, conflict, bad request) passes through; anything else is the agent's failure.
            var status = ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.BadRequest
                ? (int)ex.StatusCode
                : StatusCodes.Status502BadGateway;
            return TypedResults.Problem(statusCode: status, title: "The agent refused", detail: ex.Message);
        }
        catch (AgentUnreachableException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Agent unreachable", detail: ex.Message);
        }
    }
}
