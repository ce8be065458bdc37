using System.Text;
using System.Text.Json;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>/containers/...: rename, top, stats, update, prune and archive (docker cp).</summary>
public static class ContainerOpsApi
{
    public static IEndpointRouteBuilder MapContainerOpsApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/containers");
        g.MapPost("/{id}/rename", async (ContainerEngine engine, string id, string? name, CancellationToken ct) =>
        {
            await engine.RenameAsync(id, name ?? "", ct);
            return Results.NoContent();
        });
        g.MapGet("/{id}/top", async (ContainerEngine engine, string id, string? ps_args, CancellationToken ct) =>
        {
            var table = await engine.TopAsync(id, ps_args, ct);
            return Results.Json(new { table.Titles, table.Processes });
        });
        g.MapGet("/{id}/stats", Stats);
        g.MapPost("/{id}/update", async (ContainerEngine engine, string id, UpdateRequest body, CancellationToken ct) =>
            Results.Json(new { Warnings = await engine.UpdateAsync(id, body, ct) }));
        g.MapPost("/prune", async (ContainerEngine engine, string? filters, CancellationToken ct) =>
        {
            var (deleted, space) = await engine.PruneAsync(DockerFilters.Parse(filters, "until", "label", "label!"), ct);
            return Results.Json(new { ContainersDeleted = deleted.Count == 0 ? null : deleted, SpaceReclaimed = space });
        });
        g.MapMethods("/{id}/archive", ["HEAD"], async (HttpContext http, ContainerEngine engine, string id, string? path, CancellationToken ct) =>
        {
            var c = engine.Get(id);
            var stat = await engine.WithRootAsync(c, writable: false, root => Task.FromResult(ContainerArchive.StatPath(root, RequirePath(path), c.Id)), ct);
            SetStatHeader(http, stat);
            return Results.Ok();
        });
        g.MapGet("/{id}/archive", GetArchive);
        g.MapPut("/{id}/archive", PutArchive);
        return app;
    }

    private static string RequirePath(string? path) =>
        string.IsNullOrEmpty(path) ? throw EngineException.BadRequest("path is required") : path;

    private static void SetStatHeader(HttpContext http, ContainerPathStat stat) =>
        http.Response.Headers["X-Docker-Container-Path-Stat"] = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(stat));

    private static async Task GetArchive(HttpContext http, ContainerEngine engine, string id, string? path, CancellationToken ct)
    {
        var c = engine.Get(id);
        path = RequirePath(path);
        await engine.WithRootAsync(c, writable: false, async root =>
        {
            SetStatHeader(http, ContainerArchive.StatPath(root, path, c.Id)); // 404 before any byte of the tar
            http.Response.ContentType = "application/x-tar";
            await ContainerArchive.WriteTarAsync(root, path, c.Id, http.Response.Body, ct);
            return true;
        }, ct);
    }

    /// <summary>
    /// The body is spooled to a private file and checked entirely before the first write, so a hostile or malformed
    /// archive is refused with the container unchanged.
    /// </summary>
    private static async Task<IResult> PutArchive(HttpContext http, ContainerEngine engine, AgentOptions options, string id, string? path,
        string? noOverwriteDirNonDir, string? copyUIDGID, CancellationToken ct)
    {
        var c = engine.Get(id);
        path = RequirePath(path);
        if (c.HostConfig.ReadonlyRootfs)
            throw new EngineException(403, "container rootfs is marked read-only");
        var spoolDir = Path.Combine(options.ExecRoot, "archive-upload");
        Directory.CreateDirectory(spoolDir);
        var spool = Path.Combine(spoolDir, Guid.NewGuid().ToString("N"));
        try
        {
            await using var file = new FileStream(spool, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Options = FileOptions.DeleteOnClose,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            await http.Request.Body.CopyToAsync(file, ct);
            file.Position = 0;
            await ContainerArchive.ValidateAsync(file, ct);
            file.Position = 0;
            var extract = new ContainerArchive.ExtractOptions(ContainersApi.IsTrue(noOverwriteDirNonDir), ContainersApi.IsTrue(copyUIDGID));
            await engine.WithRootAsync(c, writable: true, async root =>
            {
                await ContainerArchive.ExtractAsync(root, path, c.Id, file, extract, ct);
                return true;
            }, ct);
        }
        finally
        {
            File.Delete(spool);
        }
        return Results.Ok();
    }

    /// <summary>
    /// stream (default): a document per second. stream=0: one document whose precpu_stats is a reading a second
    /// earlier (what `docker stats --no-stream` computes CPU % from); one-shot=1 skips that wait.
    /// </summary>
    private static async Task Stats(HttpContext http, ContainerEngine engine, string id, string? stream, CancellationToken ct)
    {
        var c = engine.Get(id);
        var q = http.Request.Query;
        var streaming = !(q.ContainsKey("stream") && !ContainersApi.IsTrue(stream));
        var oneShot = ContainersApi.IsTrue(q["one-shot"].FirstOrDefault());
        if (oneShot && streaming)
            throw EngineException.BadRequest("cannot have stream=true and one-shot=true");
        var machineMemory = ContainerStats.ParseMemTotal(await File.ReadAllTextAsync("/proc/meminfo", ct));
        http.Response.ContentType = "application/json";
        var previous = engine.SampleStats(c);
        if (!streaming)
        {
            StatsSample? current = previous;
            if (!oneShot && previous is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                current = engine.SampleStats(c);
            }
            else
            {
                previous = null;
            }
            await WriteDocument(http, ContainerStats.ToDocker(c, current, current is null ? null : previous, machineMemory).ToJsonString(), ct);
            return;
        }
        await http.Response.StartAsync(ct);
        StatsSample? last = null;
        var current0 = previous;
        while (!ct.IsCancellationRequested)
        {
            await WriteDocument(http, ContainerStats.ToDocker(c, current0, last, machineMemory).ToJsonString(), ct);
            if (current0 is null)
                return; // not running: one empty document, as dockerd
            last = current0;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            catch (OperationCanceledException)
            {
                return; // the client went away
            }
            current0 = engine.SampleStats(c);
        }
    }

    private static async Task WriteDocument(HttpContext http, string json, CancellationToken ct)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
