using System.Globalization;
using System.Text.RegularExpressions;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Agent.Engine.Volumes;

namespace ContainerConsole.Agent.Api;

/// <summary>/volumes/...: the Docker Engine API's volume endpoints, on the agent's local volume driver.</summary>
public static class VolumesApi
{
    /// <summary>The request's API version, as the version middleware recorded it (the agent's own when the path had none).</summary>
    public const string ApiVersionItem = "ApiVersion";

    private static readonly string[] ListFilters = ["dangling", "name", "label", "label!", "driver"];
    private static readonly string[] PruneFilters = ["label", "label!", "all"];

    public sealed class CreateVolumeRequest
    {
        public string? Name { get; set; }
        public string? Driver { get; set; }
        public Dictionary<string, string>? DriverOpts { get; set; }
        public Dictionary<string, string>? Labels { get; set; }
    }

    public static IEndpointRouteBuilder MapVolumesApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/volumes");
        g.MapPost("/create", (VolumeStore volumes, CreateVolumeRequest? body) =>
        {
            body ??= new CreateVolumeRequest();
            var (v, _) = volumes.Create(string.IsNullOrEmpty(body.Name) ? null : body.Name, body.Driver, body.Labels, body.DriverOpts);
            return Results.Json(View(v, volumes), statusCode: 201);
        });
        g.MapGet("", (VolumeStore volumes, ContainerEngine engine, string? filters) =>
        {
            var f = DockerFilters.Parse(filters, ListFilters);
            var dangling = f.Bool("dangling");
            var names = f.Get("name").Select(NamePattern).ToList();
            var list = volumes.List().Where(v =>
                (dangling is null || dangling == (engine.ContainersUsingVolume(v.Name).Count == 0))
                && (names.Count == 0 || names.Any(n => n.IsMatch(v.Name)))
                && (f.Get("driver").Count == 0 || f.Get("driver").Contains(v.Driver))
                && f.MatchesLabels(v.Labels));
            return Results.Json(new { Volumes = list.Select(v => View(v, volumes)).ToArray(), Warnings = Array.Empty<string>() });
        });
        g.MapGet("/{name}", (VolumeStore volumes, string name) => Results.Json(View(volumes.Get(name), volumes)));
        g.MapDelete("/{name}", (VolumeStore volumes, ContainerEngine engine, string name, string? force) =>
        {
            if (volumes.Find(name) is null)
            {
                if (ContainersApi.IsTrue(force))
                    return Results.NoContent(); // -f: a missing volume is not an error
                throw new EngineException(404, $"get {name}: no such volume");
            }
            var users = engine.ContainersUsingVolume(name);
            if (users.Count > 0)
                throw EngineException.Conflict($"remove {name}: volume is in use - [{string.Join(", ", users)}]");
            volumes.Remove(name);
            return Results.NoContent();
        });
        g.MapPost("/prune", (HttpContext http, VolumeStore volumes, ContainerEngine engine, EventBus events, string? filters) =>
        {
            var f = DockerFilters.Parse(filters, PruneFilters);
            // API 1.42 on: prune takes anonymous volumes only, unless all=true.
            var anonymousOnly = IsAtLeast(http, 1, 42) && f.Bool("all") != true;
            var deleted = new List<string>();
            long reclaimed = 0;
            foreach (var v in volumes.List().Where(v => (!anonymousOnly || v.IsAnonymous) && f.MatchesLabels(v.Labels)))
            {
                if (engine.ContainersUsingVolume(v.Name).Count > 0)
                    continue;
                var size = volumes.Size(v.Name);
                try
                {
                    volumes.Remove(v.Name);
                }
                catch (EngineException)
                {
                    continue; // taken meanwhile
                }
                deleted.Add(v.Name);
                reclaimed += size;
            }
            events.Publish("volume", "prune", "", new Dictionary<string, string> { ["reclaimed"] = reclaimed.ToString(CultureInfo.InvariantCulture) });
            return Results.Json(new { VolumesDeleted = deleted, SpaceReclaimed = reclaimed });
        });
        return app;
    }

    /// <summary>docker system df's volumes: their size and how many containers name them.</summary>
    public static object[] DiskUsage(VolumeStore volumes, ContainerEngine engine) =>
        volumes.List().Select(v => View(v, volumes, (volumes.Size(v.Name), engine.ContainersUsingVolume(v.Name).Count))).ToArray();

    /// <summary>Docker's Volume object.</summary>
    public static Dictionary<string, object?> View(VolumeRecord v, VolumeStore volumes, (long Size, int RefCount)? usage = null)
    {
        var view = new Dictionary<string, object?>
        {
            ["CreatedAt"] = v.CreatedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["Driver"] = v.Driver,
            ["Labels"] = v.Labels,
            ["Mountpoint"] = volumes.DataPath(v.Name),
            ["Name"] = v.Name,
            ["Options"] = v.Options.Count == 0 ? null : v.Options,
            ["Scope"] = "local",
        };
        if (usage is { } u)
            view["UsageData"] = new { u.Size, u.RefCount };
        return view;
    }

    private static Regex NamePattern(string filter)
    {
        try
        {
            return new Regex(filter, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            throw EngineException.BadRequest($"invalid filter 'name={filter}'");
        }
    }

    private static bool IsAtLeast(HttpContext http, int major, int minor)
    {
        if (http.Items[ApiVersionItem] is not string text || !Version.TryParse(text, out var version))
            return true; // no version in the path: the agent's current API
        return version >= new Version(major, minor);
    }

}
