using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Containers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="Repo">Repository, e.g. <c>registry:5000/team/app</c>.</param>
/// <param name="Tag">Tag (default <c>latest</c>).</param>
public sealed record TagRequest(string? Repo, string? Tag = null);

/// <param name="Images">Each image as the agent lists it, with a <c>Host</c> field.</param>
/// <param name="UnreachableHosts">Hosts that could not be asked.</param>
public sealed record ImageList(IReadOnlyList<JsonObject> Images, IReadOnlyList<Web.Services.HostError> UnreachableHosts);

/// <summary>
/// Images: one list across hosts (<c>/api/v1/images</c>) and one host's images (<c>/api/v1/hosts/{host}/images</c>):
/// inspect, history, pull, load, build, tag, push, remove, prune. Pull, push, load and build answer with a summary
/// when done, or with <c>?stream=true</c> pass the agent's progress lines on as NDJSON while they come.
/// </summary>
public static class ImageApi
{
    private const string NdJson = "application/x-ndjson";

    public static RouteGroupBuilder MapImageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/images", ListAllAsync).WithTags("Images").RequireAuthorization(Policies.Read)
            .WithName("GetImages").WithSummary("Images of every host (or ?host=), each with its host").ProducesProblem(StatusCodes.Status404NotFound);

        var api = app.MapGroup("/api/v1/hosts/{host}/images").WithTags("Images");
        var read = api.MapGroup("").RequireAuthorization(Policies.Read);
        var operate = api.MapGroup("").RequireAuthorization(Policies.Operate);

        read.MapGet("", ListAsync).WithName("ListHostImages").WithSummary("One host's images (?all=true with build steps)");
        read.MapGet("/{**reference}", InspectAsync).WithName("InspectImage")
            .WithSummary("The agent's inspect of an image; a path ending in /history gives its history");

        operate.MapPost("/pull", PullAsync).WithName("PullImage").WithSummary("Pull an image (operator)").ProducesValidationProblem();
        operate.MapPost("/load", LoadAsync).WithName("LoadImage").WithSummary("Load a docker-save or OCI archive, streamed to the agent (operator)")
            .Accepts<Stream>("application/x-tar").WithMetadata(StreamedUpload.Instance);
        operate.MapPost("/build", BuildAsync).WithName("BuildImage").WithSummary("Build from a tar context, streamed to the agent (operator)")
            .Accepts<Stream>("application/x-tar").WithMetadata(StreamedUpload.Instance).ProducesValidationProblem();
        operate.MapPost("/prune", PruneAsync).WithName("PruneImages").WithSummary("Remove dangling images (?all=true: every unused one) (operator)");
        operate.MapPost("/{**reference}", TagOrPushAsync).WithName("TagOrPushImage")
            .WithSummary("POST .../images/{reference}/tag with {repo, tag}, or .../images/{reference}/push (operator)").ProducesValidationProblem();
        operate.MapDelete("/{**reference}", RemoveAsync).WithName("RemoveImage")
            .WithSummary("Remove an image or one of its tags; ?force=true also when containers use it (operator)");
        return api;
    }

    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="host">Only this host.</param>
    /// <param name="all">With intermediate (build step) images.</param>
    public static async Task<Results<Ok<ImageList>, ProblemHttpResult>> ListAllAsync(AgentRegistry agents, CancellationToken cancellationToken, string? host = null, bool all = false)
    {
        IReadOnlyList<AgentHost> targets = agents.Hosts;
        if (host is not null)
        {
            targets = agents.Find(host) is { } one ? [one] : [];
            if (targets.Count == 0)
            {
                return AgentCalls.UnknownHost(host);
            }
        }

        var results = await Task.WhenAll(targets.Select(async h =>
        {
            try
            {
                var list = await h.Client.ListImagesAsync(all, cancellationToken);
                return (Images: WithHost(h.Name, list), Error: (Web.Services.HostError?)null);
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
            {
                return ([], new Web.Services.HostError(h.Name, ex.Message));
            }
        }));
        return TypedResults.Ok(new ImageList([.. results.SelectMany(r => r.Images)], [.. results.Where(r => r.Error is not null).Select(r => r.Error!)]));
    }

    public static Task<Results<Ok<ImageList>, ProblemHttpResult>> ListAsync(string host, AgentRegistry agents, CancellationToken cancellationToken, bool all = false) =>
        AgentCalls.CallAsync(agents, host, async client =>
            TypedResults.Ok(new ImageList(WithHost(host, await client.ListImagesAsync(all, cancellationToken)), [])));

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> InspectAsync(string host, string reference, AgentRegistry agents, CancellationToken cancellationToken) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(
            reference.EndsWith("/history", StringComparison.Ordinal)
                ? await client.ImageHistoryAsync(reference[..^"/history".Length], cancellationToken)
                : await client.InspectImageAsync(reference, cancellationToken)));

    /// <param name="host">Host name.</param>
    /// <param name="image">What to pull: <c>busybox</c>, <c>busybox:1.36</c>, <c>registry:5000/team/app@sha256:...</c>.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="context">The request.</param>
    /// <param name="platform">e.g. <c>linux/amd64</c>.</param>
    /// <param name="stream">Stream the progress lines (NDJSON) instead of a summary at the end.</param>
    public static async Task<IResult> PullAsync(string host, string? image, AgentRegistry agents, HttpContext context, string? platform = null, bool stream = false)
    {
        if (string.IsNullOrWhiteSpace(image) || !ContainerSpecs.IsImageReference(image))
        {
            return AgentCalls.Invalid("image", $"'{image}' is not an image reference (e.g. busybox:latest or registry:5000/team/app:1.2).");
        }

        return await ProgressAsync(agents, host, context, stream, DesiredContainers.PullFailureStatus,
            client => client.PullImageAsync(image, null, platform, context.RequestAborted));
    }

    /// <param name="host">Host name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="context">The request; its body is the archive.</param>
    /// <param name="stream">Stream the progress lines (NDJSON) instead of a summary at the end.</param>
    public static Task<IResult> LoadAsync(string host, AgentRegistry agents, HttpContext context, bool stream = false) =>
        ProgressAsync(agents, host, context, stream, _ => HttpStatusCode.BadRequest,
            client => client.LoadImageAsync(context.Request.Body, context.RequestAborted));

    /// <param name="host">Host name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="context">The request; its body is the tar context.</param>
    /// <param name="dockerfile">Path of the Dockerfile in the context (default <c>Dockerfile</c>).</param>
    /// <param name="t">Tags for the result (repeatable).</param>
    /// <param name="buildargs">Build arguments as a JSON object, e.g. <c>{"VERSION":"1.2"}</c>.</param>
    /// <param name="labels">Labels as a JSON object.</param>
    /// <param name="target">Stage to build.</param>
    /// <param name="nocache">Build every step again.</param>
    /// <param name="pull">Pull base images again.</param>
    /// <param name="stream">Stream the build output (NDJSON) instead of a summary at the end.</param>
    public static async Task<IResult> BuildAsync(string host, AgentRegistry agents, HttpContext context,
        string? dockerfile = null, [Microsoft.AspNetCore.Mvc.FromQuery] string[]? t = null, string? buildargs = null, string? labels = null, string? target = null,
        bool nocache = false, bool pull = false, bool stream = false)
    {
        var parameters = new BuildParameters(t, dockerfile, null, null, target, nocache, pull);
        var errors = parameters.Validate();
        var maps = new Dictionary<string, IReadOnlyDictionary<string, string?>?>();
        foreach (var (field, json) in new[] { ("buildargs", buildargs), ("labels", labels) })
        {
            maps[field] = json is null ? null : StringMap(json);
            if (json is not null && maps[field] is null)
            {
                errors[field] = ["A JSON object of strings is required, e.g. {\"KEY\":\"value\"}."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = (parameters with { BuildArgs = maps["buildargs"], Labels = maps["labels"] }).ToQuery();
        return await ProgressAsync(agents, host, context, stream, _ => HttpStatusCode.BadRequest,
            client => client.BuildImageAsync(context.Request.Body, query, context.RequestAborted));
    }

    /// <param name="host">Host name.</param>
    /// <param name="reference">The image, then <c>/tag</c> or <c>/push</c>.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="context">The request (a tag's body is <see cref="TagRequest"/>).</param>
    /// <param name="tag">push: only this tag.</param>
    /// <param name="stream">push: stream the progress lines.</param>
    public static async Task<IResult> TagOrPushAsync(string host, string reference, AgentRegistry agents, HttpContext context, string? tag = null, bool stream = false)
    {
        if (reference.EndsWith("/push", StringComparison.Ordinal))
        {
            var name = reference[..^"/push".Length];
            return await ProgressAsync(agents, host, context, stream, _ => HttpStatusCode.BadGateway,
                client => client.PushImageAsync(name, tag, context.RequestAborted));
        }

        if (!reference.EndsWith("/tag", StringComparison.Ordinal))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown image operation",
                detail: $"POST /api/v1/hosts/{host}/images/{reference}: use .../images/{{reference}}/tag or .../images/{{reference}}/push.");
        }

        TagRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<TagRequest>(context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: $"Malformed JSON: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Bad request", detail: ex.Message);
        }

        if (request?.Repo is null || !ContainerSpecs.IsImageReference($"{request.Repo}:{request.Tag ?? "latest"}"))
        {
            return AgentCalls.Invalid("repo", $"'{request?.Repo}:{request?.Tag ?? "latest"}' is not an image reference.");
        }

        var source = reference[..^"/tag".Length];
        return (await AgentCalls.CallAsync(agents, host, async client =>
        {
            await client.TagImageAsync(source, request.Repo, request.Tag ?? "latest", context.RequestAborted);
            return TypedResults.Created($"/api/v1/hosts/{host}/images/{request.Repo}:{request.Tag ?? "latest"}", (object?)null);
        })).Result;
    }

    /// <param name="host">Host name.</param>
    /// <param name="reference">Image reference or id.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="force">Also when containers use it (then it is only untagged).</param>
    /// <param name="noprune">Keep untagged parents.</param>
    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> RemoveAsync(string host, string reference, AgentRegistry agents, CancellationToken cancellationToken, bool force = false, bool noprune = false) =>
        AgentCalls.CallAsync(agents, host, async client =>
            TypedResults.Ok(await client.RemoveImageAsync(reference, force, noprune, cancellationToken) ?? default));

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> PruneAsync(string host, AgentRegistry agents, CancellationToken cancellationToken, bool all = false) =>
        AgentCalls.CallAsync(agents, host, async client => TypedResults.Ok(await client.PruneImagesAsync(all, cancellationToken) ?? default));

    /// <summary>
    /// Opens the agent's progress stream; answers the agent's refusal as ProblemDetails. Then either forwards every line
    /// as it comes (<paramref name="stream"/>: the outcome is in the last lines) or reads to the end and answers a summary,
    /// or a ProblemDetails when the stream ended in an error.
    /// </summary>
    private static async Task<IResult> ProgressAsync(AgentRegistry agents, string host, HttpContext context, bool stream,
        Func<string, HttpStatusCode> errorStatus, Func<DockerEngineClient, Task<HttpResponseMessage>> open)
    {
        if (agents.Find(host) is not { } agent)
        {
            return AgentCalls.UnknownHost(host);
        }

        HttpResponseMessage response;
        try
        {
            response = await open(agent.Client);
        }
        catch (Exception ex) when (AgentCalls.ToProblem(ex) is { } problem)
        {
            return problem;
        }

        if (stream)
        {
            return TypedResults.Stream(async body =>
            {
                using (response)
                {
                    await using var progress = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                    await DockerProgress.ReadAsync(progress, async line =>
                    {
                        await body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), context.RequestAborted);
                        await body.FlushAsync(context.RequestAborted);
                    }, context.RequestAborted);
                }
            }, NdJson);
        }

        ProgressSummary summary;
        using (response)
        {
            try
            {
                await using var progress = await response.Content.ReadAsStreamAsync(context.RequestAborted);
                summary = await DockerProgress.ReadAsync(progress, null, context.RequestAborted);
            }
            catch (IOException ex)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Agent unreachable", detail: $"the agent's progress stream broke off: {ex.Message}");
            }
        }

        if (summary.Error is { } error)
        {
            var status = errorStatus(error);
            return TypedResults.Problem(statusCode: (int)status, title: status == HttpStatusCode.NotFound ? "Not found on the agent" : "The agent reported a failure",
                detail: error, extensions: new Dictionary<string, object?> { ["messages"] = summary.Messages });
        }

        return TypedResults.Ok(summary);
    }

    private static List<JsonObject> WithHost(string host, JsonElement list)
    {
        var images = new List<JsonObject>();
        if (list.ValueKind != JsonValueKind.Array)
        {
            return images;
        }

        foreach (var image in list.EnumerateArray())
        {
            if (JsonObject.Create(image) is { } item)
            {
                item["Host"] = host;
                images.Add(item);
            }
        }

        return images;
    }

    /// <summary>A JSON object of strings (or nulls) as a map; null when <paramref name="json"/> is anything else.</summary>
    private static Dictionary<string, string?>? StringMap(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.EnumerateObject().All(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null))
            {
                return null;
            }

            var map = new Dictionary<string, string?>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                map[property.Name] = property.Value.GetString(); // the last of repeated keys wins, as in Docker
            }

            return map;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
