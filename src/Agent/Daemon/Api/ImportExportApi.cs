using System.Text.Json;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Agent.Api;

/// <summary>docker export (a container's files as one tar) and docker import (such a tar as a one-layer image).</summary>
public static class ImportExportApi
{
    public static IEndpointRouteBuilder MapImportExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/containers/{id}/export", async (HttpContext http, ContainerEngine engine, ContainerExport export, string id, CancellationToken ct) =>
        {
            var c = engine.Get(id);
            http.Response.ContentType = "application/x-tar";
            await export.WriteAsync(c, http.Response.Body, ct);
        });
        return app;
    }

    /// <summary>
    /// POST /images/create?fromSrc=-: the body is the tar. Docker can also fetch fromSrc as a URL; this host reaches no
    /// network but its registries, so a URL is refused by name.
    /// </summary>
    public static async Task ImportAsync(HttpContext http, ImageStore images, EventBus events, string fromSrc, string? repo, string? tag, string? message, CancellationToken ct)
    {
        if (fromSrc != "-")
            throw EngineException.BadRequest($"import from \"{fromSrc}\": only an uploaded archive (fromSrc=-) is supported, not a URL");
        var config = CommitApi.ApplyChanges(new ContainerConsole.Images.Oci.ContainerConfig(), http.Request.Query["changes"]);
        var repoTag = string.IsNullOrEmpty(repo) ? null : string.IsNullOrEmpty(tag) ? repo : $"{repo}:{tag}";
        if (repoTag is not null && !ImageReference.TryParse(repoTag, out _))
            throw EngineException.BadRequest($"invalid reference format: \"{repoTag}\"");
        string id;
        try
        {
            id = await images.ImportAsync(http.Request.Body, config, repoTag, message, ct);
        }
        catch (ContainerConsole.Images.ImageFormatException e)
        {
            throw EngineException.BadRequest($"import: {e.Message}");
        }
        events.Image("import", id, id);
        if (repoTag is not null)
            ImagesApi.PublishTag(events, images, repoTag);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(JsonSerializer.Serialize(new { status = id }) + "\n", ct);
    }
}
