using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Build;
using ContainerConsole.Images.Layers;
using ContainerConsole.Images.Store;
using ContainerConsole.Runtime.Spec;
using OciContainerConfig = ContainerConsole.Images.Oci.ContainerConfig;

namespace ContainerConsole.Agent.Api;

/// <summary>docker diff and docker commit: the container's writable overlay layer as changes, or as a new image layer.</summary>
public static class CommitApi
{
    public static IEndpointRouteBuilder MapCommitApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/containers/{id}/changes", (ContainerEngine engine, ContainerStore store, string id) =>
        {
            var c = engine.Get(id);
            var made = RuntimeMadeMountPoints(c, store);
            var changes = LayerDiff.Changes(store.Upper(c.Id), c.Rootfs.Split(':'))
                .Where(ch => !made.Any(m => ch.Path == "/" + m || ch.Path.StartsWith("/" + m + "/", StringComparison.Ordinal)));
            // Docker's kinds: 0 modified, 1 added, 2 deleted.
            return Results.Json(changes.Select(ch => new { ch.Path, Kind = ch.Kind switch { 'C' => 0, 'A' => 1, _ => 2 } }));
        });
        app.MapPost("/commit", async (HttpContext http, ContainerEngine engine, ContainerStore store, ImageStore images, EventBus events,
            string container, string? repo, string? tag, string? comment, string? author, string? pause, CancellationToken ct) =>
        {
            var c = engine.Get(container);
            if (string.IsNullOrEmpty(c.ImageId))
                throw EngineException.BadRequest($"container {c.Id[..12]} runs on a plain root filesystem, not an image: nothing to commit onto");
            var overrides = http.Request.ContentLength > 0 ? await http.Request.ReadFromJsonAsync<ContainerConfig>(ct) : null;
            // The image's config (ports, volumes, health check...) with what the container changed on top, as docker.
            var config = (images.ConfigOf(c.ImageId).Config ?? new OciContainerConfig()) with
            {
                Env = overrides?.Env ?? c.Config.Env,
                Cmd = overrides?.Cmd ?? c.Config.Cmd,
                Entrypoint = overrides?.Entrypoint ?? c.Config.Entrypoint,
                WorkingDir = overrides?.WorkingDir ?? c.Config.WorkingDir,
                User = overrides?.User ?? c.Config.User,
                Labels = overrides?.Labels ?? c.Config.Labels,
                StopSignal = overrides?.StopSignal ?? c.Config.StopSignal,
            };
            config = ApplyChanges(config, http.Request.Query["changes"]);
            var repoTag = string.IsNullOrEmpty(repo) ? null : string.IsNullOrEmpty(tag) ? repo : $"{repo}:{tag}";
            // As docker: a running container is paused while its layer is read, so the layer is consistent.
            var paused = c.State.Status == "running" && pause is not ("0" or "false");
            if (paused)
                await engine.PauseAsync(c.Id, ct);
            try
            {
                var parent = string.IsNullOrEmpty(c.ImageId) ? null : c.ImageId;
                var id = await images.CommitAsync(parent, store.Upper(c.Id), config, repoTag, comment, author, ct, RuntimeMadeMountPoints(c, store));
                events.Container(c, "commit", ("comment", comment ?? ""), ("imageID", id), ("imageRef", repoTag ?? ""));
                if (repoTag is not null)
                    ImagesApi.PublishTag(events, images, repoTag);
                return Results.Json(new { Id = id }, statusCode: 201);
            }
            finally
            {
                if (paused)
                    await engine.UnpauseAsync(c.Id, CancellationToken.None);
            }
        });
        return app;
    }

    /// <summary>
    /// The mount points (/proc, /dev, /sys...) the runtime had to create in the upper directory because the image lacks
    /// them: docker keeps those in an init layer, so they are neither a change (diff) nor part of a commit. Relative paths.
    /// </summary>
    private static IReadOnlySet<string> RuntimeMadeMountPoints(ContainerModel c, ContainerStore store)
    {
        var mountPoints = MountPoints(store.Bundle(c.Id)).Select(m => m.TrimStart('/')).ToHashSet();
        return LayerDiff.Changes(store.Upper(c.Id), c.Rootfs.Split(':'))
            .Where(ch => ch.Kind == 'A' && mountPoints.Contains(ch.Path.TrimStart('/')))
            .Select(ch => ch.Path.TrimStart('/'))
            .ToHashSet();
    }

    private static IReadOnlyList<string> MountPoints(string bundle)
    {
        var config = Path.Combine(bundle, "config.json");
        if (!File.Exists(config))
            return [];
        var spec = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(config), RuntimeSpecJson.Default.RuntimeSpec);
        return spec?.Mounts.Select(m => m.Destination.TrimEnd('/')).Where(d => d.Length > 0).ToList() ?? [];
    }

    /// <summary>--change "CMD [...]" and the like: Dockerfile instructions applied to the new image's config.</summary>
    public static OciContainerConfig ApplyChanges(OciContainerConfig config, IEnumerable<string?> changes)
    {
        try
        {
            return ConfigInstructions.ApplyChanges(config, changes.Where(c => c is not null)!);
        }
        catch (DockerfileException e)
        {
            throw EngineException.BadRequest(e.Message);
        }
    }
}
