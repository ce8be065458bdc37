using System.Text.RegularExpressions;
using ContainerConsole.Agent;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Layers;
using ContainerConsole.Images.Store;
using ContainerConsole.Networking;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Security;

// ccagent: the root daemon. Its API is the Docker Engine API on a unix socket.
ProcessSpawner.ResetSigchld();
AgentOptions options;
try
{
    options = AgentOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"ccagent: {e.Message}");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(new ContainerStore(options.ContainersDir));
builder.Services.AddSingleton<RuntimeClient>();
builder.Services.AddSingleton(new ImageStore(Path.Combine(options.DataRoot, "image"), new LayerUnpacker()));
builder.Services.AddSingleton<AttachHub>();
builder.Services.AddSingleton<EventBus>();
builder.Services.AddSingleton<RestartManager>();
builder.Services.AddSingleton<IHealthProbe, RuntimeHealthProbe>();
builder.Services.AddSingleton<HealthMonitor>();
builder.Services.AddSingleton(new NetworkStore(options.NetworkDir));
// One netfilter table per agent, named after its default bridge (AgentOptions.HostNetworkTable), so agents sharing a host keep apart.
builder.Services.AddSingleton<IHostNetwork>(sp => new HostNetwork(options.HostNetworkTable, sp.GetRequiredService<ILogger<HostNetwork>>()));
builder.Services.AddSingleton<NetworkManager>();
builder.Services.AddSingleton(sp => new ContainerConsole.Agent.Engine.Volumes.VolumeStore(Path.Combine(options.DataRoot, "volumes"),
    sp.GetRequiredService<EventBus>(), sp.GetRequiredService<ILogger<ContainerConsole.Agent.Engine.Volumes.VolumeStore>>()));
builder.Services.AddSingleton<MonitorExits>();
builder.Services.AddSingleton<ContainerEngine>();
builder.Services.AddSingleton<ExecEngine>();
builder.Services.AddSingleton<ContainerExport>();
builder.Services.AddRegistry(options);
var seLinux = SeLinux.Detect();
builder.Services.AddSingleton(seLinux);
var mcs = new McsAllocator();
builder.Services.AddSingleton(mcs);
builder.Services.AddSingleton(new SeLinuxLabeler(mcs, seLinux.Enabled));
builder.Services.AddHostedService<ExitWatcher>();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = null);
builder.WebHost.ConfigureKestrel(k =>
{
    // Image archives and build contexts are gigabytes; dockerd sets no body limit and the socket is root's.
    k.Limits.MaxRequestBodySize = null;
    foreach (var host in options.Hosts)
    {
        if (host.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = host["unix://".Length..];
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Delete(path);
            k.ListenUnixSocket(path, l => l.Use(HalfCloseConnection.Middleware));
        }
        else if (host.StartsWith("tcp://", StringComparison.Ordinal))
        {
            var uri = new Uri(host);
            k.Listen(System.Net.IPAddress.Parse(uri.Host), uri.Port, l => l.Use(HalfCloseConnection.Middleware));
        }
        else
        {
            throw new ArgumentException($"unsupported host {host}");
        }
    }
});

var app = builder.Build();
Directory.CreateDirectory(options.ContainersDir);
Directory.CreateDirectory(options.RuntimeRoot);
Directory.CreateDirectory(options.IoDir);
app.Services.GetRequiredService<ContainerExport>().Sweep();
var swept = await app.Services.GetRequiredService<ImageStore>().SweepAsync(CancellationToken.None);
if (swept != new SweepResult(0, 0, 0))
    app.Logger.LogInformation("Image store: removed {Temp} temporary entries, {Blobs} orphan blobs and {Layers} orphan layers left by an interrupted operation",
        swept.TempEntries, swept.OrphanBlobs, swept.OrphanLayers);
app.Services.GetRequiredService<NetworkManager>().Initialize(); // before the containers: their endpoints are reconciled against it
app.Services.GetRequiredService<ContainerConsole.Agent.Engine.Volumes.VolumeStore>().Load();
app.Services.GetRequiredService<ContainerEngine>().Restore();
app.Services.GetRequiredService<ExecEngine>().Restore();

// Docker clients prefix paths with their API version (/v1.44/containers/json).
var versionPrefix = new Regex(@"^/v[0-9]+\.[0-9]+(?=/)");
app.Use(async (ctx, next) =>
{
    var path = ctx.Request.Path.Value ?? "";
    // The docker CLI decodes {"message"} errors only when Content-Type is exactly application/json.
    ctx.Response.OnStarting(() =>
    {
        if (ctx.Response.ContentType == "application/json; charset=utf-8")
            ctx.Response.ContentType = "application/json";
        return Task.CompletedTask;
    });
    var m = versionPrefix.Match(path);
    if (m.Success)
    {
        ctx.Request.Path = path[m.Length..];
        ctx.Items[VolumesApi.ApiVersionItem] = m.Value[2..];
    }
    try
    {
        await next(ctx);
    }
    catch (EngineException e) when (!ctx.Response.HasStarted)
    {
        ctx.Response.StatusCode = e.Status;
        await ctx.Response.WriteAsJsonAsync(new { message = e.Message });
    }
    catch (ImageNotFoundException e) when (!ctx.Response.HasStarted)
    {
        ctx.Response.StatusCode = 404;
        await ctx.Response.WriteAsJsonAsync(new { message = e.Message });
    }
    catch (ContainerConsole.Images.ImageFormatException e) when (!ctx.Response.HasStarted)
    {
        ctx.Response.StatusCode = 400;
        await ctx.Response.WriteAsJsonAsync(new { message = e.Message });
    }
    catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
    {
        ctx.Response.StatusCode = 400;
        await ctx.Response.WriteAsJsonAsync(new { message = e.Message });
    }
});
// Routing must see the rewritten path, so it runs after the middleware above.
app.UseRouting();
app.MapSystemApi();
app.MapContainersApi();
app.MapContainerOpsApi();
app.MapAttachApi();
app.MapExecApi();
app.MapImagesApi();
app.MapRegistryApi();
app.MapCommitApi();
app.MapImportExportApi();
app.MapBuildApi();
app.MapEventsApi();
app.MapNetworksApi();
app.MapVolumesApi();

app.Lifetime.ApplicationStarted.Register(() =>
{
    // root:root 0660, or root:GROUP with --group so an unprivileged server can connect.
    foreach (var host in options.Hosts.Where(h => h.StartsWith("unix://", StringComparison.Ordinal)))
        SocketPermissions.Apply(host["unix://".Length..], options.SocketGroup);
    Console.WriteLine($"ccagent listening on {string.Join(", ", options.Hosts)} (data root {options.DataRoot}; SELinux {seLinux.Detail})");
});
app.Run();
return 0;
