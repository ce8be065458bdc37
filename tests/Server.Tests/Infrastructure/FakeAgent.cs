using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>A tiny Docker Engine API on a unix socket: <c>/_ping</c>, <c>/version</c>, <c>/containers/json</c>.</summary>
public sealed class FakeAgent : IAsyncDisposable
{
    public const string EngineVersion = "27.5.1-fake";

    public const string ContainersJson = """
        [
          {
            "Id": "4f1c0a7b2e9d8c6a5b4f3e2d1c0b9a8f7e6d5c4b3a29181706f5e4d3c2b1a090",
            "Names": ["/web"],
            "Image": "busybox:latest",
            "ImageID": "sha256:0123",
            "Command": "httpd -f",
            "Created": 1764300000,
            "State": "running",
            "Status": "Up 5 minutes",
            "Labels": {}
          },
          {
            "Id": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181706f5e4d3c2b1a0904f1c0a7b",
            "Names": ["/job"],
            "Image": "alpine:3.20",
            "ImageID": "sha256:4567",
            "Command": "true",
            "Created": 1764200000,
            "State": "exited",
            "Status": "Exited (0) 2 hours ago",
            "Labels": {}
          }
        ]
        """;

    private readonly WebApplication _app;

    private FakeAgent(WebApplication app, string socketPath)
    {
        _app = app;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public string Uri => "unix://" + SocketPath;

    /// <summary>Request paths with their query strings, in order of arrival.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <param name="socketPath">Where to listen.</param>
    /// <param name="brokenVersion">Answer <c>/version</c> with Docker's 500 error body.</param>
    public static async Task<FakeAgent> StartAsync(string socketPath, bool brokenVersion = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var agent = new FakeAgent(app, socketPath);

        app.Use(async (context, next) =>
        {
            agent.Requests.Enqueue(context.Request.Path + context.Request.QueryString);
            await next(context);
        });
        app.MapGet("/_ping", (HttpContext context) =>
        {
            context.Response.Headers["Api-Version"] = "1.44";
            return Results.Text("OK", "text/plain");
        });
        app.MapGet("/version", () => brokenVersion
            ? Results.Text("""{"message":"engine is wedged"}""", "application/json", statusCode: 500)
            : Results.Text($$"""
            {"Version":"{{EngineVersion}}","ApiVersion":"1.44","MinAPIVersion":"1.24","GitCommit":"abc1234",
             "GoVersion":"go1.22","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0-test","BuildTime":"2026-01-01T00:00:00Z"}
            """, "application/json"));
        app.MapGet("/containers/json", () => Results.Text(ContainersJson, "application/json"));

        await app.StartAsync();
        return agent;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
