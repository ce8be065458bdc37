using System.Text.Json;
using ContainerConsole.Agent.Build;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Build;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Agent.Api;

/// <summary>
/// POST /build: Docker's classic builder behind the Engine API. The body is the context tar; the answer is Docker's
/// JSON message stream ({"stream":...}, {"aux":{"ID":...}}, {"errorDetail":...,"error":...}). A bad context or
/// Dockerfile is answered with 400 before any output, like dockerd. rm/forcerm are accepted: intermediate containers
/// are always removed. pull is ignored: this agent builds from images it already has.
/// </summary>
public static class BuildApi
{
    public static IEndpointRouteBuilder MapBuildApi(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var runner = ActivatorUtilities.CreateInstance<BuildContainer>(services);
        var builder = ActivatorUtilities.CreateInstance<ImageBuilder>(services, runner);
        app.MapPost("/build", (HttpContext http, ImageStore images, EventBus events, CancellationToken ct) => BuildAsync(http, builder, images, events, ct));
        // docker system prune / builder prune: the classic builder's cache is its key → step image index
        app.MapPost("/build/prune", async (ImageStore images, string? all, CancellationToken ct) =>
            Results.Json(new { CachesDeleted = await images.PruneBuildCacheAsync(all is "1" or "true", ct), SpaceReclaimed = 0L }));
        return app;
    }

    private static async Task BuildAsync(HttpContext http, ImageBuilder builder, ImageStore images, EventBus events, CancellationToken ct)
    {
        var q = http.Request.Query;
        var quiet = Flag(q["q"].FirstOrDefault());
        // Errors before the stream starts are plain API errors (status + {"message"}) from the agent's middleware.
        var request = new BuildRequest(
            Dockerfile: q["dockerfile"].FirstOrDefault() is { Length: > 0 } df ? df : "Dockerfile",
            Tags: q["t"].Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToList(),
            BuildArgs: JsonMap(q["buildargs"].FirstOrDefault(), "buildargs") ?? new Dictionary<string, string?>(),
            NoCache: Flag(q["nocache"].FirstOrDefault()),
            Labels: (JsonMap(q["labels"].FirstOrDefault(), "labels") ?? []).ToDictionary(l => l.Key, l => l.Value ?? ""),
            Target: q["target"].FirstOrDefault());
        if (q["remote"].FirstOrDefault() is { Length: > 0 } remote)
            throw EngineException.BadRequest($"remote build contexts are not supported (this agent has no network access): {remote}");
        using var build = await builder.PrepareAsync(request, http.Request.Body, ct);
        http.Response.ContentType = "application/json";
        var gate = new SemaphoreSlim(1, 1);
        async Task Send(object message)
        {
            await gate.WaitAsync(ct);
            try
            {
                await http.Response.WriteAsync(JsonSerializer.Serialize(message) + "\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
            finally
            {
                gate.Release();
            }
        }

        Task Stream(string text) => quiet ? Task.CompletedTask : Send(new { stream = text });
        string id;
        try
        {
            id = await builder.BuildAsync(build, Stream, ct);
            foreach (var t in request.Tags)
            {
                images.Tag(id, t);
                ImagesApi.PublishTag(events, images, t);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // the stream has started: every failure becomes Docker's error message, also unexpected ones
            if (e is not (BuildException or DockerfileException or ImageNotFoundException or EngineException))
                http.RequestServices.GetRequiredService<ILogger<ImageBuilder>>().LogError(e, "build failed");
            if (!ct.IsCancellationRequested)
                await Send(new { errorDetail = new { message = e.Message }, error = e.Message });
            return;
        }

        await Send(new { aux = new { ID = id } });
        if (quiet)
        {
            await Send(new { stream = id + "\n" });
            return;
        }
        await Stream($"Successfully built {id[7..19]}\n");
        foreach (var t in request.Tags)
            await Stream($"Successfully tagged {Familiar(t)}\n");
    }

    private static bool Flag(string? value) => value is "1" or "true" or "True";

    private static Dictionary<string, string?>? JsonMap(string? json, string name)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        try
        {
            return JsonSerializer.Deserialize(json, BuildApiJson.Default.DictionaryStringString);
        }
        catch (JsonException e)
        {
            throw EngineException.BadRequest($"{name}: not a JSON object of strings: {e.Message}");
        }
    }

    // as docker prints it: busybox:latest rather than docker.io/library/busybox:latest
    private static string Familiar(string tag)
    {
        var r = ImageReference.Parse(tag).ToString();
        return r.StartsWith("docker.io/library/", StringComparison.Ordinal) ? r["docker.io/library/".Length..]
            : r.StartsWith("docker.io/", StringComparison.Ordinal) ? r["docker.io/".Length..] : r;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string?>))]
internal sealed partial class BuildApiJson : System.Text.Json.Serialization.JsonSerializerContext;
