using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>
/// A tiny Docker Engine API on a unix socket: <c>/_ping</c>, <c>/version</c>, <c>/containers/json</c>, container
/// actions and removal (404 for the id <c>missing</c>), and <c>/events</c> with history, <c>since</c> and live events.
/// </summary>
public sealed partial class FakeAgent : IAsyncDisposable
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
    private readonly Lock _eventsGate = new();
    private readonly List<(long TimeNano, string Json)> _eventHistory = [];
    private readonly List<(Channel<string> Channel, CancellationTokenSource Drop)> _eventStreams = [];

    private FakeAgent(WebApplication app) => _app = app;

    /// <summary><c>unix:///path</c>, or <c>tcp://127.0.0.1:PORT</c> for the TLS agent.</summary>
    public string Uri { get; private set; } = "";

    /// <summary>Request paths with their query strings, in order of arrival.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Method and path of every container action and removal.</summary>
    public ConcurrentQueue<string> ContainerCalls { get; } = new();

    /// <summary>Number of event streams open now.</summary>
    public int OpenEventStreams
    {
        get
        {
            lock (_eventsGate)
            {
                return _eventStreams.Count;
            }
        }
    }

    /// <summary>Adds an event to the history and sends it to every open stream.</summary>
    public void PublishEvent(string type, string action, string actorId, long timeNano, Dictionary<string, string>? attributes = null)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Type"] = type,
            ["Action"] = action,
            ["Actor"] = new Dictionary<string, object> { ["ID"] = actorId, ["Attributes"] = attributes ?? [] },
            ["scope"] = "local",
            ["time"] = timeNano / 1_000_000_000,
            ["timeNano"] = timeNano,
        });
        lock (_eventsGate)
        {
            _eventHistory.Add((timeNano, json));
            foreach (var (channel, _) in _eventStreams)
            {
                channel.Writer.TryWrite(json);
            }
        }
    }

    /// <summary>Ends every open event stream, as an agent restart or a network drop would.</summary>
    public void DropEventStreams()
    {
        lock (_eventsGate)
        {
            foreach (var (_, drop) in _eventStreams)
            {
                drop.Cancel();
            }
        }
    }

    /// <param name="socketPath">Where to listen.</param>
    /// <param name="brokenVersion">Answer <c>/version</c> with Docker's 500 error body.</param>
    public static Task<FakeAgent> StartAsync(string socketPath, bool brokenVersion = false) =>
        StartAsync(kestrel => kestrel.ListenUnixSocket(socketPath), "unix://" + socketPath, brokenVersion);

    /// <summary>
    /// Listens on 127.0.0.1 (a free port) with TLS, as dockerd with <c>--tlsverify</c>: it presents
    /// <paramref name="serverCertificate"/> and requires a client certificate issued by <paramref name="clientAuthority"/>.
    /// </summary>
    public static async Task<FakeAgent> StartMutualTlsAsync(X509Certificate2 serverCertificate, X509Certificate2 clientAuthority)
    {
        var agent = await StartAsync(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(clientAuthority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        })), uri: null, brokenVersion: false);
        return agent;
    }

    private static async Task<FakeAgent> StartAsync(Action<KestrelServerOptions> listen, string? uri, bool brokenVersion)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(listen);
        var app = builder.Build();
        var agent = new FakeAgent(app);

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
        app.MapPost("/containers/{id}/{action}", (string id, string action) =>
        {
            agent.ContainerCalls.Enqueue($"POST {id}/{action}");
            return id == "missing"
                ? Results.Text($$"""{"message":"No such container: {{id}}"}""", "application/json", statusCode: 404)
                : Results.NoContent();
        });
        app.MapDelete("/containers/{id}", (string id) =>
        {
            agent.ContainerCalls.Enqueue($"DELETE {id}");
            return id == "missing"
                ? Results.Text($$"""{"message":"No such container: {{id}}"}""", "application/json", statusCode: 404)
                : Results.NoContent();
        });
        app.MapGet("/events", agent.StreamEventsAsync);
        agent.MapStreams(app);

        await app.StartAsync();
        agent.Uri = uri ?? "tcp://" + new Uri(app.Urls.Single()).Authority;
        return agent;
    }

    private async Task StreamEventsAsync(HttpContext context, string? since)
    {
        var from = since is null ? long.MaxValue : ParseSince(since);
        var channel = Channel.CreateUnbounded<string>();
        using var drop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var entry = (channel, drop);
        List<string> replay;
        lock (_eventsGate)
        {
            replay = [.. _eventHistory.Where(e => e.TimeNano >= from).Select(e => e.Json)];
            _eventStreams.Add(entry);
        }

        try
        {
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(drop.Token);
            await context.Response.Body.FlushAsync(drop.Token);
            foreach (var json in replay)
            {
                await WriteEventAsync(context, json, drop.Token);
            }

            await foreach (var json in channel.Reader.ReadAllAsync(drop.Token))
            {
                await WriteEventAsync(context, json, drop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            context.Abort(); // a drop, not a clean end of the stream
        }
        finally
        {
            lock (_eventsGate)
            {
                _eventStreams.Remove(entry);
            }
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string json, CancellationToken cancellationToken)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>Docker's <c>since</c>: Unix seconds with an optional fraction.</summary>
    private static long ParseSince(string since)
    {
        var parts = since.Split('.');
        var seconds = long.Parse(parts[0], CultureInfo.InvariantCulture);
        var fraction = parts.Length > 1 ? long.Parse(parts[1].PadRight(9, '0')[..9], CultureInfo.InvariantCulture) : 0;
        return seconds * 1_000_000_000 + fraction;
    }

    public async ValueTask DisposeAsync()
    {
        DropEventStreams();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
