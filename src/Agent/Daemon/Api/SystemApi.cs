using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Store;
using ContainerConsole.Runtime.Security;

namespace ContainerConsole.Agent.Api;

/// <summary>/_ping, /version, /info: what clients use to find and negotiate with the daemon.</summary>
public static class SystemApi
{
    public const string ApiVersion = "1.45";
    public const string MinApiVersion = "1.24";
    private const string EngineVersion = "0.1.0";

    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/_ping", ["GET", "HEAD"], (HttpContext ctx) =>
        {
            ctx.Response.Headers["API-Version"] = ApiVersion;
            ctx.Response.Headers["OSType"] = "linux";
            ctx.Response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
            return Results.Text("OK", "text/plain");
        });
        app.MapGet("/version", () =>
        {
            var kernel = KernelVersion();
            return Results.Json(new
            {
                Platform = new { Name = "ContainerConsole Engine" },
                Version = EngineVersion,
                ApiVersion,
                MinAPIVersion = MinApiVersion,
                Os = "linux",
                Arch = "amd64",
                KernelVersion = kernel,
                // `docker version` prints the server's lines from the Engine component's details.
                Components = new[]
                {
                    new
                    {
                        Name = "Engine",
                        Version = EngineVersion,
                        Details = new Dictionary<string, string>
                        {
                            ["ApiVersion"] = ApiVersion, ["MinAPIVersion"] = MinApiVersion, ["Os"] = "linux", ["Arch"] = "amd64",
                            ["KernelVersion"] = kernel, ["Experimental"] = "false",
                        },
                    },
                },
            });
        });
        app.MapGet("/system/df", (ContainerEngine engine, ContainerStore store, ImageStore images) => Results.Json(DiskUsage(engine, store, images)));
        app.MapGet("/info", (ContainerEngine engine, ImageStore images, AgentOptions o, SeLinuxState seLinux) =>
        {
            var all = engine.All.ToList();
            return Results.Json(new
            {
                ID = Environment.MachineName,
                Containers = all.Count,
                ContainersRunning = all.Count(c => c.State.Status == "running"),
                ContainersPaused = all.Count(c => c.State.Status == "paused"),
                ContainersStopped = all.Count(c => !c.State.IsActive),
                Images = images.ImageIds().Count,
                Driver = "overlay",
                DockerRootDir = o.DataRoot,
                OperatingSystem = "Linux",
                OSType = "linux",
                Architecture = "x86_64",
                NCPU = Environment.ProcessorCount,
                MemTotal = MemTotal(),
                KernelVersion = KernelVersion(),
                LoggingDriver = "json-file",
                CgroupDriver = "cgroupfs",
                Swarm = new { LocalNodeState = "inactive", NodeID = "", NodeAddr = "", ControlAvailable = false },
                Plugins = new { Volume = Array.Empty<string>(), Network = Array.Empty<string>(), Log = new[] { "json-file" } },
                Name = Environment.MachineName,
                ServerVersion = EngineVersion,
                DefaultRuntime = o.DefaultRuntime,
                Runtimes = new Dictionary<string, object> { ["ccrun"] = new { path = o.RuntimePath("ccrun") } },
                LiveRestoreEnabled = o.LiveRestore,
                CgroupVersion = Directory.Exists("/sys/fs/cgroup/memory") ? "1" : "2",
                SecurityOptions = seLinux.Enabled
                    ? new[] { "name=seccomp,profile=builtin", "name=selinux", "name=cgroupns" }
                    : new[] { "name=seccomp,profile=builtin", "name=cgroupns" },
            });
        });
        return app;
    }

    /// <summary>
    /// docker system df: SharedSize counts an image's layers that another image also uses; a container's SizeRw is its
    /// writable layer, SizeRootFs that plus its image.
    /// </summary>
    private static object DiskUsage(ContainerEngine engine, ContainerStore store, ImageStore images)
    {
        var all = images.List();
        var uses = all.SelectMany(i => i.DiffIds.Distinct()).GroupBy(d => d).ToDictionary(g => g.Key, g => g.Count());
        var containers = engine.All.ToList();
        var byImage = containers.GroupBy(c => c.ImageId ?? "").ToDictionary(g => g.Key, g => g.Count());
        var imageSize = all.ToDictionary(i => i.Id, i => i.Size);
        return new
        {
            LayersSize = images.LayersSize(),
            Images = all.Select(i => new
            {
                i.Id,
                ParentId = "",
                RepoTags = i.RepoTags.Select(ImagesApi.ShortName).ToArray(),
                RepoDigests = Array.Empty<string>(),
                Created = i.Created?.ToUnixTimeSeconds() ?? 0,
                i.Size,
                SharedSize = i.DiffIds.Distinct().Where(d => uses[d] > 1).Sum(d => images.Layers.Get(d)?.Size ?? 0),
                Labels = i.Config.Config?.Labels ?? new Dictionary<string, string>(),
                Containers = byImage.GetValueOrDefault(i.Id),
            }).ToArray(),
            Containers = containers.Select(c =>
            {
                var rw = DirectorySize(store.Upper(c.Id));
                return new
                {
                    c.Id,
                    Names = new[] { "/" + c.Name },
                    Image = c.Config.Image,
                    ImageID = c.ImageId,
                    Command = DockerViews.CommandText(c.Args),
                    Created = new DateTimeOffset(c.Created).ToUnixTimeSeconds(),
                    State = c.State.Status,
                    Status = DockerViews.StatusText(c.State, DateTime.UtcNow),
                    SizeRw = rw,
                    SizeRootFs = rw + imageSize.GetValueOrDefault(c.ImageId ?? ""),
                    Labels = c.Config.Labels ?? [],
                    Mounts = Array.Empty<object>(),
                };
            }).ToArray(),
            Volumes = Array.Empty<object>(),
            BuildCache = Array.Empty<object>(),
        };
    }

    /// <summary>The kernel release as uname -r prints it (dockerd's KernelVersion).</summary>
    private static string KernelVersion() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>The host's memory in bytes, from /proc/meminfo's MemTotal (kB).</summary>
    private static long MemTotal()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return kb is null ? 0 : long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Bytes of regular files under <paramref name="dir"/>, each inode once, not following symlinks.</summary>
    private static long DirectorySize(string dir)
    {
        if (!Directory.Exists(dir))
            return 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        return new DirectoryInfo(dir).EnumerateFiles("*", options).Where(f => f.LinkTarget is null).Sum(f => f.Length);
    }
}
