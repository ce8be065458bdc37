using System.Globalization;
using System.Text;
using System.Text.Json;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Agent.Api;

/// <summary>/containers/...: the Docker Engine API's container endpoints the engine supports so far.</summary>
public static class ContainersApi
{
    public static IEndpointRouteBuilder MapContainersApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/containers");
        g.MapGet("/json", (ContainerEngine engine, ContainerStore store, ImageStore images, NetworkManager network, string? all, int? limit, string? size, string? filters) =>
        {
            var filter = new ContainerListFilter(DockerFilters.Parse(filters, ContainerListFilter.Known), IsTrue(all), limit ?? 0, engine.Get, images.Resolve, engine.IsRestarting);
            var withSize = IsTrue(size);
            return Results.Json(filter.Apply(engine.All).Select(c =>
            {
                var summary = DockerViews.Summary(c, withSize ? SizeOf(c, store, images) : null, engine.IsRestarting(c));
                NetworkViews.AddToSummary(summary, c, network);
                return summary;
            }));
        });
        g.MapPost("/create", async (ContainerEngine engine, CreateContainerRequest body, string? name, string? platform, CancellationToken ct) =>
        {
            UnsupportedSettings.Check(body);
            UnsupportedSettings.CheckPlatform(platform);
            if (body.HostConfig is { } hostConfig)
                ContainerUpdate.CheckCreate(hostConfig); // --cpus 100 on 2 CPUs was accepted
            var c = await engine.CreateAsync(body, string.IsNullOrEmpty(name) ? null : name, ct);
            return Results.Json(new { c.Id, Warnings = Array.Empty<string>() }, statusCode: 201);
        });
        g.MapGet("/{id}/json", (ContainerEngine engine, ExecEngine execs, ContainerStore store, NetworkManager network, string id) =>
        {
            var c = engine.Get(id);
            return Results.Json(DockerViews.Inspect(c, store.Log(c.Id), store.Upper(c.Id), store.Work(c.Id), engine.IsRestarting(c), NetworkViews.Settings(c, network),
                execs.RunningIn(c.Id)));
        });
        g.MapPost("/{id}/start", async (ContainerEngine engine, string id, CancellationToken ct) =>
        {
            var c = engine.Get(id);
            if (c.State.IsActive)
                return Results.StatusCode(304);
            try
            {
                await engine.StartAsync(id, ct);
            }
            catch (Exception) when (c.HostConfig.AutoRemove)
            {
                // As dockerd: a --rm container that cannot start is removed, which is what `docker run --rm` waits for.
                await engine.RemoveAsync(c.Id, force: true, removeVolumes: true, CancellationToken.None);
                throw;
            }
            return Results.NoContent();
        });
        g.MapPost("/{id}/stop", async (ContainerEngine engine, string id, int? t, CancellationToken ct) =>
        {
            // A container between two policy runs counts as running, as in dockerd; and the stop goes through even for
            // one that is not (a 304 either way), so that a restart due or under way is called off too.
            var c = engine.Get(id);
            var running = c.State.IsActive || engine.IsRestarting(c);
            await engine.StopAsync(id, t, ct);
            return running ? Results.NoContent() : Results.StatusCode(304);
        });
        g.MapPost("/{id}/restart", async (ContainerEngine engine, string id, int? t, CancellationToken ct) =>
        {
            await engine.RestartAsync(id, t, ct);
            return Results.NoContent();
        });
        g.MapPost("/{id}/kill", async (ContainerEngine engine, string id, string? signal, CancellationToken ct) =>
        {
            await engine.KillAsync(id, signal, ct);
            return Results.NoContent();
        });
        g.MapPost("/{id}/pause", async (ContainerEngine engine, string id, CancellationToken ct) =>
        {
            await engine.PauseAsync(id, ct);
            return Results.NoContent();
        });
        g.MapPost("/{id}/unpause", async (ContainerEngine engine, string id, CancellationToken ct) =>
        {
            await engine.UnpauseAsync(id, ct);
            return Results.NoContent();
        });
        g.MapPost("/{id}/wait", Wait);
        g.MapDelete("/{id}", async (ContainerEngine engine, string id, string? force, string? link, string? v, CancellationToken ct) =>
        {
            if (IsTrue(link))
                throw EngineException.BadRequest("links are not supported by this agent");
            await engine.RemoveAsync(id, IsTrue(force), removeVolumes: IsTrue(v), ct);
            return Results.NoContent();
        });
        g.MapGet("/{id}/logs", Logs);
        return app;
    }

    // Docker clients send booleans as 1/0 as well as true/false.
    internal static bool IsTrue(string? value) => value is "1" or "true" or "True";

    /// <summary>SizeRw (the writable layer) and SizeRootFs (that plus the image), as ps --size and system df show.</summary>
    internal static (long Rw, long RootFs) SizeOf(ContainerModel c, ContainerStore store, ImageStore images)
    {
        var rw = ContainerEngine.DirectorySize(store.Upper(c.Id));
        long image = 0;
        if (c.ImageId.Length > 0 && images.Resolve(c.ImageId) is not null)
            image = images.Inspect(c.ImageId).Size;
        return (rw, rw + image);
    }

    /// <summary>
    /// The status line goes out only when the condition holds, but the headers go out at once: clients (docker run,
    /// docker wait) take the 200 as "the wait is registered" before they start or stop the container.
    /// </summary>
    private static async Task Wait(HttpContext http, ContainerEngine engine, string id, string? condition, CancellationToken ct)
    {
        engine.Get(id); // 404 before the 200 goes out
        var wait = engine.WaitAsync(id, condition, ct);
        if (wait.IsCompleted)
        {
            await http.Response.WriteAsJsonAsync(new { StatusCode = await wait, Error = (object?)null }, ct);
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.StartAsync(ct);
        await http.Response.Body.FlushAsync(ct);
        var code = await wait;
        await http.Response.Body.WriteAsync(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { StatusCode = code, Error = (object?)null }), ct);
    }

    /// <summary>
    /// Logs in Docker's multiplexed framing: per chunk an 8-byte header (stream 1/2,
    /// three zero bytes, big-endian length) so stdout and stderr stay apart on one stream.
    /// </summary>
    private static async Task Logs(HttpContext http, ContainerEngine engine, string id, CancellationToken ct)
    {
        var q = http.Request.Query;
        var c = engine.Get(id);
        bool Flag(string name) => IsTrue(q[name].FirstOrDefault());
        var stdout = Flag("stdout");
        var stderr = Flag("stderr");
        if (!stdout && !stderr)
            throw EngineException.BadRequest("you must choose at least one stream");
        var follow = Flag("follow");
        var timestamps = Flag("timestamps");
        var since = ParseTime(q["since"].FirstOrDefault());
        var until = ParseTime(q["until"].FirstOrDefault());
        var tailText = q["tail"].FirstOrDefault();
        var tail = string.IsNullOrEmpty(tailText) || tailText == "all" ? int.MaxValue : int.Parse(tailText, CultureInfo.InvariantCulture);

        // A terminal's output is one stream: raw bytes, no frame headers (as docker).
        http.Response.ContentType = c.Config.Tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
        await http.Response.StartAsync(ct);
        var body = http.Response.Body;
        bool Wanted(LogEntry e) =>
            (e.Stream == "stdout" ? stdout : stderr) && (since is null || e.Time >= since) && (until is null || e.Time <= until);

        await WriteBacklog(body, ContainerLog.Read(engine.LogPath(c.Id), engine.LogFiles(c)), Wanted, tail, timestamps, c.Config.Tty, ct);
        await body.FlushAsync(ct);
        if (!follow || !engine.IsRunning(c.Id))
            return;
        await foreach (var e in ContainerLog.FollowAsync(engine.LogPath(c.Id), () => engine.IsRunning(c.Id), ct))
        {
            if (!Wanted(e))
                continue;
            await WriteFrame(body, e, timestamps, c.Config.Tty, ct);
            await body.FlushAsync(ct);
        }
    }

    /// <summary>What the log already holds: the wanted lines, the last <paramref name="tail"/> of them, each framed.</summary>
    internal static async Task WriteBacklog(Stream body, IEnumerable<LogEntry> entries, Func<LogEntry, bool> wanted, int tail, bool timestamps, bool raw,
        CancellationToken ct)
    {
        if (tail is int.MaxValue or < 0) // all, as dockerd reads a negative tail
        {
            foreach (var e in entries.Where(wanted))
                await WriteFrame(body, e, timestamps, raw, ct);
            return;
        }
        if (tail == 0)
            return;
        // the last `tail` wanted entries, without holding the rest
        var last = new Queue<LogEntry>(Math.Min(tail, 4096));
        foreach (var e in entries.Where(wanted))
        {
            if (last.Count == tail)
                last.Dequeue();
            last.Enqueue(e);
        }
        foreach (var e in last)
            await WriteFrame(body, e, timestamps, raw, ct);
    }

    /// <summary>One entry as one write: encoded straight into its frame (one array per line, not three).</summary>
    private static async Task WriteFrame(Stream body, LogEntry e, bool timestamps, bool raw, CancellationToken ct)
    {
        var time = timestamps ? e.TimeText : "";
        var header = raw ? 0 : 8;
        var length = (timestamps ? time.Length + 1 : 0) + Encoding.UTF8.GetByteCount(e.Text) + (e.Partial ? 0 : 1);
        var frame = new byte[header + length];
        var at = header;
        if (timestamps)
        {
            at += Encoding.UTF8.GetBytes(time, frame.AsSpan(at));
            frame[at++] = (byte)' ';
        }
        at += Encoding.UTF8.GetBytes(e.Text, frame.AsSpan(at));
        if (!e.Partial)
            frame[at] = (byte)'\n';
        if (!raw)
            AttachSession.WriteHeader(frame, e.Stream == "stderr" ? 2 : 1, length);
        await body.WriteAsync(frame, ct);
    }

    private static DateTime? ParseTime(string? value)
    {
        if (string.IsNullOrEmpty(value) || value == "0")
            return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var unix))
            return DateTime.UnixEpoch.AddSeconds(unix);
        return DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
    }
}
