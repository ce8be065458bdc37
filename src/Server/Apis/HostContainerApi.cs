using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Containers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="Id">The new container's id.</param>
/// <param name="Started">True when it was started too (<c>?start=true</c>).</param>
public sealed record ContainerCreated(string Id, bool Started);

/// <param name="Name">The new name.</param>
public sealed record RenameRequest(string? Name);

/// <param name="Repo">Repository of the new image (e.g. <c>team/app</c>); absent: an untagged image.</param>
/// <param name="Tag">Its tag (default <c>latest</c> when a repo is given).</param>
/// <param name="Comment">Commit message.</param>
/// <param name="Author">Author.</param>
/// <param name="Pause">Pause the container while committing (default true).</param>
public sealed record CommitRequest(string? Repo = null, string? Tag = null, string? Comment = null, string? Author = null, bool? Pause = null);

/// <param name="Lines">Log lines, oldest first.</param>
public sealed record ContainerLogs(IReadOnlyList<DockerLogLine> Lines);

/// <summary>
/// One host's containers: <c>/api/v1/hosts/{host}/containers</c>. Inspect, create/run, actions, rename, live limits,
/// commit, logs, top, changes, and the desired-state helpers (idempotent PUT, recreate after a pull).
/// </summary>
public static class HostContainerApi
{
    private static readonly string[] Actions = ["start", "stop", "restart", "kill", "pause", "unpause"];

    public static RouteGroupBuilder MapHostContainerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hosts/{host}/containers").WithTags("Containers");
        var read = api.MapGroup("").RequireAuthorization(Policies.Read);
        var operate = api.MapGroup("").RequireAuthorization(Policies.Operate);

        read.MapGet("", ListAsync).WithName("ListHostContainers").WithSummary("Containers of one host (filters as GET /api/v1/containers)");
        read.MapGet("/{id}", InspectAsync).WithName("InspectContainer").WithSummary("The agent's inspect of a container (id or name)");
        read.MapGet("/{id}/logs", LogsAsync).WithName("ContainerLogs").WithSummary("The last log lines, not following (for automation; the logs hub follows)");
        read.MapGet("/{id}/top", TopAsync).WithName("ContainerTop").WithSummary("Processes of a running container");
        read.MapGet("/{id}/changes", ChangesAsync).WithName("ContainerChanges").WithSummary("Files changed in the container's writable layer (Kind 0 changed, 1 added, 2 deleted)");

        operate.MapPost("", CreateAsync).WithName("CreateContainer")
            .WithSummary("Create a container from full run settings; ?start=true runs it (operator)")
            .ProducesValidationProblem();
        operate.MapPut("/{name}", PutDesiredAsync).WithName("PutDesiredContainer")
            .WithSummary("Idempotent: make the named container match these settings (operator)")
            .WithDescription("Creates it when missing (201); when present with the same settings and image id, does nothing (200, changed false); otherwise recreates it: the new container is created first, so settings the agent refuses lose nothing.")
            .ProducesValidationProblem();
        operate.MapPost("/{name}/recreate", RecreateAsync).WithName("RecreateContainer")
            .WithSummary("Replace a container made by PUT with a new one of the same settings; ?pull=true pulls the image first (operator)");
        operate.MapPost("/{id}/rename", RenameAsync).WithName("RenameContainer").WithSummary("Rename a container (operator)").ProducesValidationProblem();
        operate.MapPost("/{id}/update", UpdateAsync).WithName("UpdateContainerLimits").WithSummary("Change memory, CPU, pids limits or the restart policy, live (operator)").ProducesValidationProblem();
        operate.MapPost("/{id}/commit", CommitAsync).WithName("CommitContainer").WithSummary("Commit the container's writable layer to an image (operator)").ProducesValidationProblem();
        operate.MapPost("/{id}/{action}", ActAsync).WithName("HostContainerAction")
            .WithSummary("start, stop, restart, kill, pause or unpause (operator); ?t= seconds for stop/restart, ?signal= for kill")
            .ProducesValidationProblem();
        operate.MapDelete("/{id}", RemoveAsync).WithName("RemoveHostContainer").WithSummary("Remove a container; ?force=true kills it first, ?volumes=true removes its anonymous volumes (operator)");
        return api;
    }

    /// <param name="host">Host name.</param>
    /// <param name="containers">The containers service.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="state">Only containers in this state.</param>
    /// <param name="label">Only containers with this label (<c>key</c> or <c>key=value</c>).</param>
    /// <param name="image">Only containers of this image.</param>
    /// <param name="name">Only containers whose name contains this.</param>
    public static Task<Results<Ok<Web.Services.ContainerList>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string host, Hosts.ContainersService containers, CancellationToken cancellationToken,
        string[]? state = null, string[]? label = null, string[]? image = null, string[]? name = null) =>
        ContainerApi.GetContainersAsync(containers, cancellationToken, host, state, label, image, name);

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> InspectAsync(string host, string id, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.InspectContainerAsync(id, cancellationToken)));

    /// <param name="host">Host name.</param>
    /// <param name="id">Container id or name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="tail">Last lines (default 100; <c>all</c> for every line).</param>
    /// <param name="since">Only lines after this time (Unix seconds).</param>
    /// <param name="timestamps">Give each line its time.</param>
    /// <param name="stdout">Include stdout (default true).</param>
    /// <param name="stderr">Include stderr (default true).</param>
    public static async Task<Results<Ok<ContainerLogs>, ValidationProblem, ProblemHttpResult>> LogsAsync(
        string host, string id, AgentRegistry agents, CancellationToken cancellationToken,
        string? tail = "100", long? since = null, bool timestamps = false, bool stdout = true, bool stderr = true)
    {
        if (tail is not null && tail != "all" && (!int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out var lines) || lines > 100_000))
        {
            return AgentCalls.Invalid("tail", "A number of lines up to 100000, or 'all', is required.");
        }

        if (!stdout && !stderr)
        {
            return AgentCalls.Invalid("stdout", "Ask for stdout, stderr or both.");
        }

        var query = $"stdout={(stdout ? 1 : 0)}&stderr={(stderr ? 1 : 0)}&timestamps={(timestamps ? 1 : 0)}&tail={tail ?? "all"}"
            + (since is { } from ? FormattableString.Invariant($"&since={from}") : "");
        var result = await AgentCalls.CallAsync(agents, host, async client =>
        {
            var inspect = await client.InspectContainerAsync(id, cancellationToken);
            var tty = inspect.TryGetProperty("Config", out var config) && config.TryGetProperty("Tty", out var t) && t.ValueKind == JsonValueKind.True;
            return TypedResults.Ok(new ContainerLogs(await client.GetLogsAsync(id, tty, query, cancellationToken)));
        });
        return result.Result is ProblemHttpResult problem ? problem : (Ok<ContainerLogs>)result.Result;
    }

    /// <param name="host">Host name.</param>
    /// <param name="id">Container id or name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="psArgs">Arguments for ps (default <c>-ef</c>).</param>
    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> TopAsync(string host, string id, AgentRegistry agents, CancellationToken cancellationToken, string? psArgs = null) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.TopAsync(id, psArgs, cancellationToken)));

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> ChangesAsync(string host, string id, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client =>
            TypedResults.Ok(await client.ChangesAsync(id, cancellationToken) ?? JsonSerializer.SerializeToElement(Array.Empty<object>())));

    /// <param name="host">Host name.</param>
    /// <param name="spec">Run settings; <c>name</c> optional.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="start">Start it once created (as <c>docker run -d</c>).</param>
    public static async Task<Results<Created<ContainerCreated>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        string host, ContainerSpec spec, AgentRegistry agents, CancellationToken cancellationToken, bool start = false)
    {
        if (ContainerSpecs.Validate(spec) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await AgentCalls.CallAsync(agents, host, async client =>
        {
            var id = await client.CreateContainerAsync(spec.Name, ContainerSpecs.ToCreateBody(spec), cancellationToken);
            if (start)
            {
                try
                {
                    await client.ContainerActionAsync(id, "start", cancellationToken);
                }
                catch (DockerEngineException)
                {
                    // As docker run: a container that cannot start is not left behind.
                    await client.RemoveContainerAsync(id, force: true, CancellationToken.None);
                    throw;
                }
            }

            return TypedResults.Created($"/api/v1/hosts/{host}/containers/{id}", new ContainerCreated(id, start));
        });
        return result.Result is ProblemHttpResult problem ? problem : (Created<ContainerCreated>)result.Result;
    }

    public static async Task<Results<Ok<DesiredContainerResult>, Created<DesiredContainerResult>, ValidationProblem, ProblemHttpResult>> PutDesiredAsync(
        string host, string name, ContainerSpec spec, AgentRegistry agents, DesiredContainers desired, CancellationToken cancellationToken)
    {
        var errors = ContainerSpecs.Validate(spec with { Name = null });
        ContainerSpecs.CheckName(errors, "name", name);
        if (spec.Name is not null && spec.Name != name)
        {
            errors["name"] = [$"The body names '{spec.Name}', the path '{name}'; leave it out of the body."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await desired.ApplyAsync(client, name, spec, false, cancellationToken)));
        return result.Result switch
        {
            ProblemHttpResult problem => problem,
            Ok<DesiredContainerResult> { Value.Action: "created" } ok => TypedResults.Created($"/api/v1/hosts/{host}/containers/{name}", ok.Value),
            _ => (Ok<DesiredContainerResult>)result.Result,
        };
    }

    /// <param name="host">Host name.</param>
    /// <param name="name">Container name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="desired">Desired-state logic.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="pull">Pull the image again first.</param>
    public static Task<Results<Ok<DesiredContainerResult>, ProblemHttpResult>> RecreateAsync(
        string host, string name, AgentRegistry agents, DesiredContainers desired, CancellationToken cancellationToken, bool pull = false) =>
        AgentCalls.CallAsync(agents, host, async client =>
        {
            var inspect = await client.InspectContainerAsync(name, cancellationToken);
            var spec = DesiredContainers.StoredSpec(inspect)
                ?? throw new DockerEngineException(System.Net.HttpStatusCode.Conflict,
                    $"container {name} was not made by PUT /api/v1/hosts/{{host}}/containers/{{name}}, so its settings are not known; PUT them first");
            if (pull)
            {
                await DesiredContainers.PullAsync(client, spec.Image!, cancellationToken);
            }

            var containerName = inspect.GetProperty("Name").GetString()!.TrimStart('/');
            return TypedResults.Ok(await desired.ApplyAsync(client, containerName, spec, forceRecreate: true, cancellationToken));
        });

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RenameAsync(
        string host, string id, RenameRequest request, AgentRegistry agents, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ContainerSpecs.CheckName(errors, "name", request.Name);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return Widen(await AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.RenameContainerAsync(id, request.Name!, cancellationToken);
            return TypedResults.NoContent();
        }));
    }

    public static async Task<Results<Ok<JsonElement>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string host, string id, ContainerLimits limits, AgentRegistry agents, CancellationToken cancellationToken)
    {
        if (ContainerSpecs.Validate(limits) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await AgentCalls.CallAsync(agents, host, async client =>
            TypedResults.Ok(await client.UpdateContainerAsync(id, ContainerSpecs.ToUpdateBody(limits), cancellationToken) ?? JsonSerializer.SerializeToElement(new { Warnings = Array.Empty<string>() })));
        return result.Result is ProblemHttpResult problem ? problem : (Ok<JsonElement>)result.Result;
    }

    public static async Task<Results<Created<JsonElement>, ValidationProblem, ProblemHttpResult>> CommitAsync(
        string host, string id, CommitRequest request, AgentRegistry agents, CancellationToken cancellationToken)
    {
        var reference = request.Repo is null ? null : request.Repo + ":" + (request.Tag ?? "latest");
        if (request.Repo is null && request.Tag is not null)
        {
            return AgentCalls.Invalid("repo", "A tag needs a repo.");
        }

        if (reference is not null && !ContainerSpecs.IsImageReference(reference))
        {
            return AgentCalls.Invalid("repo", $"'{reference}' is not an image reference.");
        }

        var query = (request.Repo is null ? "" : $"&repo={Uri.EscapeDataString(request.Repo)}&tag={Uri.EscapeDataString(request.Tag ?? "latest")}")
            + (request.Comment is null ? "" : "&comment=" + Uri.EscapeDataString(request.Comment))
            + (request.Author is null ? "" : "&author=" + Uri.EscapeDataString(request.Author))
            + "&pause=" + (request.Pause ?? true ? "1" : "0");
        var result = await AgentCalls.CallAsync(agents, host, async client =>
        {
            var answer = await client.CommitContainerAsync(id, query, new JsonObject(), cancellationToken);
            return TypedResults.Created(reference is null ? null : $"/api/v1/hosts/{host}/images/{reference}", answer ?? default);
        });
        return result.Result is ProblemHttpResult problem ? problem : (Created<JsonElement>)result.Result;
    }

    /// <param name="host">Host name.</param>
    /// <param name="id">Container id or name.</param>
    /// <param name="action">start, stop, restart, kill, pause or unpause.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="t">stop/restart: seconds to wait before killing.</param>
    /// <param name="signal">kill: the signal (default SIGKILL).</param>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ActAsync(
        string host, string id, string action, AgentRegistry agents, CancellationToken cancellationToken, int? t = null, string? signal = null)
    {
        if (!Actions.Contains(action))
        {
            return AgentCalls.Invalid("action", $"Unknown action '{action}'; use {string.Join(", ", Actions)}.");
        }

        if (t is < 0 or > 3600 || (t is not null && action is not ("stop" or "restart")))
        {
            return AgentCalls.Invalid("t", "t (0–3600 seconds) applies to stop and restart.");
        }

        if (signal is not null && (action != "kill" || !System.Text.RegularExpressions.Regex.IsMatch(signal, "^(SIG)?[A-Z0-9+-]+$|^[0-9]+$")))
        {
            return AgentCalls.Invalid("signal", "signal (e.g. SIGTERM or 15) applies to kill.");
        }

        var query = t is { } seconds ? FormattableString.Invariant($"?t={seconds}") : signal is null ? "" : "?signal=" + signal;
        return Widen(await AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.ContainerActionAsync(id, action, query, cancellationToken);
            return TypedResults.NoContent();
        }));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string host, string id, AgentRegistry agents, CancellationToken cancellationToken, bool force = false, bool volumes = false) =>
        await AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.SendJsonAsync(HttpMethod.Delete, $"containers/{Uri.EscapeDataString(id)}?force={(force ? 1 : 0)}&v={(volumes ? 1 : 0)}", null, cancellationToken);
            return TypedResults.NoContent();
        });

    private static Results<NoContent, ValidationProblem, ProblemHttpResult> Widen(Results<NoContent, ProblemHttpResult> result) =>
        result.Result is ProblemHttpResult problem ? problem : (NoContent)result.Result;
}
