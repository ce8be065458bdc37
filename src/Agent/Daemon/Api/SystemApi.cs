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
        app.MapGet("/system/df", (ContainerEngine engine, ContainerStore store, ImageStore images, Engine.Volumes.VolumeStore volumes) => Results.Json(DiskUsage(engine, store, images, volumes)));
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
    private static object DiskUsage(ContainerEngine engine, ContainerStore store, ImageStore images, Engine.Volumes.VolumeStore volumes)
    {
        var all = images.List();
        var uses = all.SelectMany(i => i.DiffIds.Distinct()).GroupBy(d => d).ToDictionary(g => g.Key, g => g.Count());
        var containers = engine.All.ToList();
        var byImage = containers.GroupBy(c => c.ImageId ?? "").ToDictionary(g => g.Key, g => g.Count());
        return new
        {
            LayersSize = images.LayersSize(),
            Images = all.Select(i => ImagesApi.Summary(i, byImage.GetValueOrDefault(i.Id),
                i.DiffIds.Distinct().Where(d => uses[d] > 1).Sum(d => images.Layers.Get(d)?.Size ?? 0))).ToArray(),
            Containers = containers.Select(c => DockerViews.Summary(c, ContainersApi.SizeOf(c, store, images))).ToArray(),
            Volumes = VolumesApi.DiskUsage(volumes, engine),
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
}
