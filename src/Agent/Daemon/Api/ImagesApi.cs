using System.Text.Json;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Agent.Api;

/// <summary>/images/...: list, inspect, load, save, tag and remove (registry pull/push and build come later).</summary>
public static class ImagesApi
{
    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/images/json", (ImageStore images, ContainerEngine engine, string? filters, string? all) =>
            Results.Json(ListImages(images, engine, filters, all is "1" or "true")));
        app.MapPost("/images/prune", PruneAsync);
        app.MapPost("/images/load", LoadAsync);
        app.MapGet("/images/get", (HttpContext http, ImageStore images, EventBus events, CancellationToken ct) =>
            SaveAsync(http, images, events, http.Request.Query["names"].Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).ToList(), ct));
        // Names may contain '/' (library/busybox), so the verb is the last path segment.
        app.MapGet("/images/{**path}", async (HttpContext http, ImageStore images, EventBus events, string path, CancellationToken ct) =>
        {
            if (path.EndsWith("/json", StringComparison.Ordinal))
                return Results.Json(Inspect(images.Inspect(path[..^5])));
            if (path.EndsWith("/history", StringComparison.Ordinal))
                return Results.Json(images.History(path[..^8]).Select(h => new
                {
                    h.Id,
                    Created = h.Created?.ToUnixTimeSeconds() ?? 0,
                    h.CreatedBy,
                    Tags = h.Tags.Select(ShortName).ToArray(),
                    h.Size,
                    h.Comment,
                }));
            if (path.EndsWith("/get", StringComparison.Ordinal))
            {
                await SaveAsync(http, images, events, [path[..^4]], ct);
                return Results.Empty;
            }
            return Results.NotFound(new { message = $"page not found: /images/{path}" });
        });
        app.MapPost("/images/{**path}", async (HttpContext http, ImageStore images, ContainerConsole.Images.Registry.ImageDistribution distribution,
            EventBus events, string path, string? repo, string? tag, CancellationToken ct) =>
        {
            if (path.EndsWith("/push", StringComparison.Ordinal))
            {
                await RegistryApi.PushAsync(http, distribution, events, path[..^5], tag, ct);
                return Results.Empty;
            }
            if (!path.EndsWith("/tag", StringComparison.Ordinal) || string.IsNullOrEmpty(repo))
                throw EngineException.BadRequest("expected POST /images/{name}/tag?repo=...&tag=...");
            var newTag = string.IsNullOrEmpty(tag) ? repo : $"{repo}:{tag}";
            images.Tag(path[..^4], newTag);
            PublishTag(events, images, newTag);
            return Results.StatusCode(201);
        });
        app.MapDelete("/images/{**name}", (ImageStore images, ContainerEngine engine, EventBus events, string name, string? force) =>
        {
            var forced = force is "1" or "true";
            var image = images.Inspect(name);
            var user = engine.All.FirstOrDefault(c => c.ImageId == image.Id);
            // As dockerd: removing one of several references only untags it, whoever uses the image.
            var reference = ImageReference.TryParse(name, out var parsed) && images.References.ReferencesTo(image.Id).Contains(parsed.ToString())
                ? parsed.ToString()
                : null;
            var lastReference = reference is null || images.References.ReferencesTo(image.Id).Count <= 1;
            if (user is not null && !forced && lastReference)
                throw EngineException.Conflict($"conflict: unable to remove repository reference \"{name}\" (must force) - container {user.Id[..12]} is using its referenced image {image.Id[7..19]}");
            // As docker, a forced removal of an image a container uses only untags it: the container keeps its layers,
            // and prune deletes the image once no container uses it.
            IReadOnlyList<string> lines;
            try
            {
                lines = user is not null
                    ? (reference is null ? image.RepoTags : [reference]).Where(images.References.Untag).Select(r => $"Untagged: {r}").ToList()
                    : images.Remove(name, forced, id => engine.All.Any(c => c.ImageId == id));
            }
            catch (InvalidOperationException e)
            {
                throw EngineException.Conflict(e.Message); // several tags without force, or child images
            }
            PublishRemoval(events, image.Id, lines);
            return Results.Json(lines.Select(l => l.StartsWith("Untagged:", StringComparison.Ordinal)
                ? (object)new { Untagged = ShortName(l["Untagged:".Length..].Trim()) }
                : new { Deleted = l["Deleted:".Length..].Trim() }));
        });
        return app;
    }

    /// <summary>docker images, with the filters dangling, label, reference (a glob on name:tag), before and since.</summary>
    private static IEnumerable<object> ListImages(ImageStore images, ContainerEngine engine, string? filtersJson, bool all)
    {
        // As docker: untagged images that others were built on (build steps) show only with -a, and are not dangling.
        var parents = images.Parents();
        var filters = DockerFilters.Parse(filtersJson, "dangling", "label", "label!", "reference", "before", "since", "until");
        var dangling = filters.Bool("dangling");
        var before = filters.Get("before").Select(r => images.Inspect(r).Created).Min();
        var since = filters.Get("since").Select(r => images.Inspect(r).Created).Max();
        var patterns = filters.Get("reference");
        var containers = engine.All.GroupBy(c => c.ImageId).ToDictionary(g => g.Key ?? "", g => g.Count());
        return images.List()
            .Where(i => all || i.RepoTags.Count > 0 || !parents.Contains(i.Id))
            .Where(i => dangling is null || (i.RepoTags.Count == 0 && !parents.Contains(i.Id)) == dangling)
            .Where(i => filters.MatchesLabels(i.Config.Config?.Labels))
            .Where(i => before is null || i.Created < before)
            .Where(i => since is null || i.Created > since)
            .Where(i => filters.CreatedBefore(i.Created, DateTimeOffset.UtcNow))
            .Where(i => patterns.Count == 0 || i.RepoTags.Any(t => patterns.Any(p => ReferenceMatches(p, t))))
            .OrderByDescending(i => i.Created)
            .Select(i => Summary(i, containers.GetValueOrDefault(i.Id)));
    }

    /// <summary>Docker's reference filter: a glob against the familiar name with tag, or the name alone.</summary>
    private static bool ReferenceMatches(string pattern, string reference)
    {
        var familiar = ShortName(reference);
        var name = familiar.Contains(':') ? familiar[..familiar.LastIndexOf(':')] : familiar;
        return Glob(pattern, familiar) || Glob(pattern, name);
    }

    private static bool Glob(string pattern, string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text,
            "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$");

    /// <summary>docker image prune [-a] [--filter until=… label=…]: images no container uses.</summary>
    private static async Task<IResult> PruneAsync(ImageStore images, ContainerEngine engine, EventBus events, string? filters, CancellationToken ct)
    {
        var f = DockerFilters.Parse(filters, "dangling", "until", "label", "label!");
        var all = f.Bool("dangling") == false;
        var now = DateTimeOffset.UtcNow;
        var used = engine.All.Select(c => c.ImageId).Where(i => !string.IsNullOrEmpty(i)).ToHashSet();
        var result = await images.PruneAsync(all, used.Contains,
            i => f.CreatedBefore(i.Created, now) && f.MatchesLabels(i.Config.Config?.Labels), ct);
        PublishRemoval(events, null, result.Lines);
        return Results.Json(new
        {
            ImagesDeleted = result.Lines.Select(l => l.StartsWith("Untagged:", StringComparison.Ordinal)
                ? (object)new { Untagged = ShortName(l["Untagged:".Length..].Trim()) }
                : new { Deleted = l["Deleted:".Length..].Trim() }).ToArray(),
            result.SpaceReclaimed,
        });
    }

    /// <summary>docker load: the body is the archive; progress is Docker's JSON message stream.</summary>
    private static async Task LoadAsync(HttpContext http, ImageStore images, EventBus events, CancellationToken ct)
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
            events.Image("load", images.Resolve(r) ?? r, ShortName(r));
            var line = r.StartsWith("sha256:", StringComparison.Ordinal) ? $"Loaded image ID: {r}\n" : $"Loaded image: {ShortName(r)}\n";
            await http.Response.WriteAsync(JsonSerializer.Serialize(new { stream = line }) + "\n", ct);
        }
    }

    private static async Task SaveAsync(HttpContext http, ImageStore images, EventBus events, IReadOnlyList<string> names, CancellationToken ct)
    {
        foreach (var n in names)
            images.Inspect(n); // 404 before any byte of the archive
        http.Response.ContentType = "application/x-tar";
        await images.SaveAsync(names, http.Response.Body, ct);
        foreach (var n in names)
            events.Image("save", images.Resolve(n) ?? n, n);
    }

    /// <summary>The tag event: the actor is the image, its name the new reference.</summary>
    public static void PublishTag(EventBus events, ImageStore images, string reference) =>
        events.Image("tag", images.Resolve(reference) ?? reference, ShortName(ImageReference.TryParse(reference, out var r) ? r.ToString() : reference));

    /// <summary>untag and delete events from a removal's "Untagged: ref" / "Deleted: id" lines.</summary>
    private static void PublishRemoval(EventBus events, string? imageId, IEnumerable<string> lines)
    {
        var pendingUntags = new List<string>();
        foreach (var line in lines)
        {
            if (line.StartsWith("Untagged:", StringComparison.Ordinal))
                pendingUntags.Add(ShortName(line["Untagged:".Length..].Trim()));
            else if (line.StartsWith("Deleted:", StringComparison.Ordinal))
            {
                var id = line["Deleted:".Length..].Trim();
                foreach (var u in pendingUntags)
                    events.Image("untag", id, u);
                pendingUntags.Clear();
                events.Image("delete", id, id);
            }
        }
        foreach (var u in pendingUntags)
            events.Image("untag", imageId ?? u, u); // untagged only: the image stays
    }

    /// <summary>One entry of GET /images/json (and of system df, which also knows SharedSize; -1 is "not computed").</summary>
    public static object Summary(ImageRecord i, int containers, long sharedSize = -1) => new
    {
        i.Id,
        ParentId = i.Parent ?? "",
        RepoTags = i.RepoTags.Select(ShortName).ToArray(),
        RepoDigests = i.RepoDigests.Select(ShortName).ToArray(),
        Created = i.Created?.ToUnixTimeSeconds() ?? 0,
        i.Size,
        SharedSize = sharedSize,
        Labels = i.Config.Config?.Labels ?? new Dictionary<string, string>(),
        Containers = containers,
    };

    private static object Inspect(ImageRecord i) => new
    {
        i.Id,
        RepoTags = i.RepoTags.Select(ShortName).ToArray(),
        RepoDigests = i.RepoDigests.Select(ShortName).ToArray(),
        Parent = i.Parent ?? "",
        Comment = i.Config.History?.LastOrDefault()?.Comment ?? "",
        Created = i.Config.Created ?? "0001-01-01T00:00:00Z", // the CLI cannot parse an empty time
        DockerVersion = "",
        Author = i.Config.Author ?? "",
        Architecture = i.Config.Architecture ?? "",
        Os = i.Config.Os ?? "",
        Variant = i.Config.Variant,
        i.Size,
        VirtualSize = i.Size,
        Config = i.Config.Config,
        GraphDriver = new { Name = "overlay", Data = (object?)null },
        RootFS = new { Type = "layers", Layers = i.DiffIds },
        Metadata = new { LastTagTime = "0001-01-01T00:00:00Z" }, // the docker CLI cannot parse ""
    };

    // docker.io/library/busybox:latest → busybox:latest, as docker shows it.
    public static string ShortName(string reference) =>
        reference.StartsWith("docker.io/library/", StringComparison.Ordinal) ? reference["docker.io/library/".Length..]
        : reference.StartsWith("docker.io/", StringComparison.Ordinal) ? reference["docker.io/".Length..]
        : reference;
}
