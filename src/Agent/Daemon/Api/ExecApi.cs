using System.Text;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>docker exec: /containers/{id}/exec creates, /exec/{id}/start runs (attached through a hijacked connection), /exec/{id}/json inspects.</summary>
public static class ExecApi
{
    public static IEndpointRouteBuilder MapExecApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/containers/{id}/exec", (ExecEngine execs, string id, ExecConfig body) =>
            Results.Json(new { execs.Create(id, body).Id }, statusCode: 201));
        app.MapPost("/exec/{id}/start", Start);
        app.MapPost("/exec/{id}/resize", async (ExecEngine execs, string id, string? h, string? w, CancellationToken ct) =>
        {
            var e = execs.Get(id);
            var (height, width) = AttachApi.ParseSize(h, w);
            await execs.ResizeAsync(e, height, width, ct);
            return Results.Ok();
        });
        app.MapGet("/exec/{id}/json", (ExecEngine execs, string id) => Results.Json(Inspect(execs.Get(id))));
        return app;
    }

    private static async Task Start(HttpContext http, ExecEngine execs, ILoggerFactory logs, IHostApplicationLifetime lifetime, string id, ExecStartConfig? body)
    {
        var e = execs.Get(id);
        body ??= new ExecStartConfig();
        var cfg = e.Config;
        if (body.Detach || !(cfg.AttachStdin || cfg.AttachStdout || cfg.AttachStderr))
        {
            execs.Start(e, body.ConsoleSize);
            return; // 200, no body
        }
        var streams = new AttachStreams(cfg.AttachStdin, cfg.AttachStdout, cfg.AttachStderr, cfg.Tty, CloseStdinAtEnd: true, DetachKeys.Parse(cfg.DetachKeys));
        // a hijacked stream outlives ordinary requests: it ends with the agent, not after its shutdown timeout
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var ct = stream.Token;
        var client = await HijackedConnection.TakeAsync(http, streams.ContentType, ct);
        try
        {
            ShimConnection shim;
            try
            {
                shim = execs.StartAttached(e, body.ConsoleSize);
            }
            catch (EngineException ex)
            {
                // as dockerd: the stream is already the client's, so the reason goes into it
                await AttachSession.WriteAsync(client, streams with { Stdout = true }, 1, Encoding.UTF8.GetBytes(ex.Message + "\r\n"), ct);
                return;
            }
            using (shim)
                await AttachSession.RunAsync(client, shim, streams, logs.CreateLogger("Exec"), ct);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await client.CloseAsync();
        }
    }

    private static object Inspect(ExecModel e) => new
    {
        ID = e.Id,
        e.Running,
        e.ExitCode,
        ProcessConfig = new
        {
            tty = e.Config.Tty,
            entrypoint = e.Config.Cmd?.FirstOrDefault() ?? "",
            arguments = (e.Config.Cmd ?? []).Skip(1).ToArray(),
            privileged = e.Config.Privileged,
            user = e.Config.User ?? "",
        },
        OpenStdin = e.Config.AttachStdin,
        OpenStderr = e.Config.AttachStderr,
        OpenStdout = e.Config.AttachStdout,
        CanRemove = false,
        ContainerID = e.ContainerId,
        DetachKeys = e.Config.DetachKeys ?? "",
        e.Pid,
    };
}
