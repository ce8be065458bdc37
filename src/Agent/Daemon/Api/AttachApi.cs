using System.Globalization;
using System.Text;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>Interactive containers: /containers/{id}/attach (a hijacked connection) and /containers/{id}/resize.</summary>
public static class AttachApi
{
    public static IEndpointRouteBuilder MapAttachApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/containers/{id}/attach", Attach);
        app.MapPost("/containers/{id}/resize", async (ContainerEngine engine, AttachHub hub, string id, string? h, string? w, CancellationToken ct) =>
        {
            var c = engine.Get(id);
            var (height, width) = ParseSize(h, w);
            if (!c.State.IsActive)
                return Results.Ok(); // the CLI resizes right after start, racing a short-lived container
            try
            {
                await hub.ResizeAsync(c.Id, height, width, ct);
            }
            catch (EngineException) when (!engine.IsRunning(c.Id))
            {
            }
            return Results.Ok();
        });
        return app;
    }

    /// <summary>
    /// Docker's attach. A container that is not running is attached at its next start, before
    /// it runs (docker run attaches, then starts). logs=1 replays the log first.
    /// </summary>
    private static async Task Attach(HttpContext http, ContainerEngine engine, AttachHub hub, EventBus events, ILoggerFactory logs, IHostApplicationLifetime lifetime, string id)
    {
        var q = http.Request.Query;
        bool Flag(string name) => q[name].FirstOrDefault() is "1" or "true" or "True";
        var c = engine.Get(id);
        var streams = new AttachStreams(Flag("stdin") && c.Config.OpenStdin, Flag("stdout"), Flag("stderr"), c.Config.Tty,
            CloseStdinAtEnd: c.Config.StdinOnce, DetachKeys.Parse(q["detachKeys"].FirstOrDefault()));
        // a hijacked stream outlives ordinary requests: it ends with the agent, not after its shutdown timeout
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var ct = stream.Token;
        var client = await HijackedConnection.TakeAsync(http, streams.ContentType, ct);
        events.Container(c, "attach");
        try
        {
            if (Flag("logs"))
                foreach (var e in ContainerLog.Read(engine.LogPath(c.Id), engine.LogFiles(c)))
                    await AttachSession.WriteAsync(client, streams, e.Stream == "stderr" ? 2 : 1, Encoding.UTF8.GetBytes(e.Text + (e.Partial ? "" : "\n")), ct);
            if (!Flag("stream"))
                return;
            ShimConnection shim;
            try
            {
                shim = await hub.AttachAsync(c.Id, ct);
            }
            catch (EngineException)
            {
                return; // removed, or its monitor ended before we got there: the stream is simply over
            }
            using (shim)
                await AttachSession.RunAsync(client, shim, streams, logs.CreateLogger("Attach"), ct);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await client.CloseAsync();
        }
    }

    public static (int Height, int Width) ParseSize(string? h, string? w)
    {
        if (!ushort.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var height) ||
            !ushort.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var width))
            throw EngineException.BadRequest($"invalid terminal size: h={h} w={w}");
        return (height, width);
    }
}
