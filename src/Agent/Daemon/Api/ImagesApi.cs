using System.Text.Json;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Agent.Api;

/// <summary>/images/...: list, inspect, load, save, tag and remove (registry pull/push and build come later).</summary>
public static class ImagesApi
{
    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/images/json", (ImageStore images) => Results.Json(images.List().Select(Summary)));
        app.MapPost("/images/load", LoadAsync);
        app.MapGet("/images/get", (HttpContext http, ImageStore images, CancellationToken ct) =>
            SaveAsync(http, images, http.Request.Query["names"].Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).ToList(), ct));
        // Names may contain '/' (library/busybox), so the verb is the last path segment.
        app.MapGet("/images/{**path}", async (HttpContext http, ImageStore images, string path, CancellationToken ct) =>
        {
            if (path.EndsWith("/json", StringComparison.Ordinal))
                return Results.Json(Inspect(images.Inspect(path[..^5])));
            if (path.EndsWith("/get", StringComparison.Ordinal))
            {
                await SaveAsync(http, images, [path[..^4]], ct);
                return Results.Empty;
            }
            return Results.NotFound(new { message = $"page not found: /images/{path}" });
        });
        app.MapPost("/images/{**path}", (ImageStore images, string path, string? repo, string? tag) =>
        {
            if (!path.EndsWith("/tag", StringComparison.Ordinal) || string.IsNullOrEmpty(repo))
                throw EngineException.BadRequest("expected POST /images/{name}/tag?repo=...&tag=...");
            images.Tag(path[..^4], string.IsNullOrEmpty(tag) ? repo : $"{repo}:{tag}");
            return Results.StatusCode(201);
        });
        app.MapDelete("/images/{**name}", (ImageStore images, ContainerEngine engine, string name, string? force) =>
        {
            var forced = force is "1" or "true";
            var image = images.Inspect(name);
            var user = engine.All.FirstOrDefault(c => c.ImageId == image.Id);
            if (user is not null && !forced)
                throw EngineException.Conflict($"conflict: unable to remove repository reference \"{name}\" (must force) - container {user.Id[..12]} is using its referenced image {image.Id[7..19]}");
            var lines = images.Remove(name, forced);
            return Results.Json(lines.Select(l => l.StartsWith("Untagged:", StringComparison.Ordinal)
                ? (object)new { Untagged = l["Untagged:".Length..].Trim() }
                : new { Deleted = l["Deleted:".Length..].Trim() }));
        });
        return app;
    }

    /// <summary>docker load: the body is the archive; progress is Docker's JSON message stream.</summary>
    private static async Task LoadAsync(HttpContext http, ImageStore images, CancellationToken ct)
    {
        http.Response.ContentType = "application/json";
        IReadOnlyList<string> loaded;
        try
        {
            loaded = await images.LoadAsync(http.Request.Body, null, ct);
        }
        catch (ContainerConsole.Images.ImageFormatException e)
        {
            http.Response.StatusCode = 400;
            await http.Response.WriteAsJsonAsync(new { message = e.Message }, ct);
            return;
        }
        foreach (var r in loaded)
        {
            var line = r.StartsWith("sha256:", StringComparison.Ordinal) ? $"Loaded image ID: {r}\n" : $"Loaded image: {ShortName(r)}\n";
            await http.Response.WriteAsync(JsonSerializer.Serialize(new { stream = line }) + "\n", ct);
        }
    }

    private static async Task SaveAsync(HttpContext http, ImageStore images, IReadOnlyList<string> names, CancellationToken ct)
    {
        foreach (var n in names)
            images.Inspect(n); // 404 before any byte of the archive
        http.Response.ContentType = "application/x-tar";
        await images.SaveAsync(names, http.Response.Body, ct);
    }

    private static object Summary(ImageRecord i) => new
    {
        i.Id,
        ParentId = "",
        RepoTags = i.RepoTags.Select(ShortName).ToArray(),
        RepoDigests = Array.Empty<string>(),
        Created = i.Created?.ToUnixTimeSeconds() ?? 0,
        i.Size,
        SharedSize = -1,
        Labels = i.Config.Config?.Labels ?? new Dictionary<string, string>(),
        Containers = -1,
    };

    private static object Inspect(ImageRecord i) => new
    {
        i.Id,
        RepoTags = i.RepoTags.Select(ShortName).ToArray(),
        RepoDigests = Array.Empty<string>(),
        Created = i.Config.Created ?? "",
        Author = i.Config.Author ?? "",
        Architecture = i.Config.Architecture ?? "",
        Os = i.Config.Os ?? "",
        i.Size,
        Config = i.Config.Config,
        RootFS = new { Type = "layers", Layers = i.DiffIds },
        Metadata = new { LastTagTime = "0001-01-01T00:00:00Z" }, // the docker CLI cannot parse ""
    };

    // docker.io/library/busybox:latest → busybox:latest, as docker shows it.
    private static string ShortName(string reference) =>
        reference.StartsWith("docker.io/library/", StringComparison.Ordinal) ? reference["docker.io/library/".Length..]
        : reference.StartsWith("docker.io/", StringComparison.Ordinal) ? reference["docker.io/".Length..]
        : reference;
}
