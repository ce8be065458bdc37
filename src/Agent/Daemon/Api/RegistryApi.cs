using System.Text.Json;
using System.Threading.Channels;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images;
using ContainerConsole.Images.Registry;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Agent.Api;

/// <summary>Registries: docker pull (/images/create), push (/images/{name}/push), login (/auth), our logout extension, and
/// docker search, which is refused: Docker Hub's search service is not a registry API, and registries have none.</summary>
public static class RegistryApi
{
    public static IServiceCollection AddRegistry(this IServiceCollection services, AgentOptions options) =>
        services.AddSingleton(sp => new ImageDistribution(
            sp.GetRequiredService<ImageStore>(),
            new RegistryEndpoints(new RegistryOptions { CertsDir = options.RegistryCertsDir, InsecureRegistries = options.InsecureRegistries }),
            new CredentialStore(Path.Combine(options.DataRoot, "registry-auth.json"))));

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/images/create", PullAsync);
        app.MapPost("/auth", LoginAsync);
        app.MapDelete("/containerconsole/auth/{server}", (ImageDistribution distribution, string server) =>
            distribution.Credentials.Remove(server)
                ? Results.Json(new { Status = "Removed login credentials for " + RegistryCredentials.NormalizeServer(server) })
                : throw new EngineException(404, $"not logged in to {RegistryCredentials.NormalizeServer(server)}"));
        app.MapGet("/images/search", () => Results.Json(new
        {
            message = "docker search is not supported by this agent: it talks the OCI distribution API, which has no search; list a registry's repositories with its /v2/_catalog",
        }, statusCode: 501));
        return app;
    }

    /// <summary>POST /images/create?fromImage=&amp;tag=[&amp;platform=]: docker pull, streamed as JSON messages; with fromSrc, docker import.</summary>
    private static async Task PullAsync(HttpContext http, ImageDistribution distribution, ImageStore images, EventBus events, string? fromImage, string? fromSrc,
        string? repo, string? tag, string? message, string? platform, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(fromSrc))
        {
            await ImportExportApi.ImportAsync(http, images, events, fromSrc, repo, tag, message, ct);
            return;
        }
        if (string.IsNullOrEmpty(fromImage))
            throw EngineException.BadRequest("fromImage is required");
        var reference = string.IsNullOrEmpty(tag) ? fromImage
            : tag.StartsWith(Digests.Prefix, StringComparison.Ordinal) ? $"{fromImage}@{tag}" : $"{fromImage}:{tag}";
        var auth = Credentials(http);
        var selector = string.IsNullOrEmpty(platform) ? null : Guard(() => PlatformSelector.Parse(platform));
        await StreamAsync(http, async progress =>
        {
            await distribution.PullAsync(reference, auth, progress, ct, selector);
            PublishRegistryEvent(events, "pull", reference);
        }, ct);
    }

    /// <summary>POST /images/{name}/push?tag=: called from the /images catch-all route.</summary>
    public static async Task PushAsync(HttpContext http, ImageDistribution distribution, EventBus events, string name, string? tag, CancellationToken ct)
    {
        var auth = Credentials(http);
        await StreamAsync(http, async progress =>
        {
            await distribution.PushAsync(name, tag, auth, progress, ct);
            PublishRegistryEvent(events, "push", string.IsNullOrEmpty(tag) ? name : $"{name}:{tag}");
        }, ct);
    }

    // as dockerd: the actor is the familiar reference (busybox:latest), the name attribute its name (busybox)
    private static void PublishRegistryEvent(EventBus events, string action, string reference)
    {
        var familiar = ImageReference.TryParse(reference, out var r) ? ImagesApi.ShortName(r.ToString()) : reference;
        var at = familiar.IndexOf('@');
        var colon = familiar.LastIndexOf(':');
        var name = at >= 0 ? familiar[..at] : colon > familiar.LastIndexOf('/') ? familiar[..colon] : familiar;
        events.Image(action, familiar, name);
    }

    private static async Task<IResult> LoginAsync(HttpContext http, ImageDistribution distribution, CancellationToken ct)
    {
        RegistryCredentials? login;
        try
        {
            login = await RegistryCredentials.FromJsonAsync(http.Request.Body, ct);
        }
        catch (ArgumentException e)
        {
            throw EngineException.BadRequest($"login: {e.Message}");
        }
        if (login is null || login.IsEmpty)
            throw EngineException.BadRequest("login: username and password (or identitytoken) are required");
        await Run(() => distribution.LoginAsync(login, ct));
        return Results.Json(new { Status = "Login Succeeded", IdentityToken = "" });
    }

    private static RegistryCredentials? Credentials(HttpContext http) =>
        Guard(() => RegistryCredentials.FromHeader(http.Request.Headers["X-Registry-Auth"].FirstOrDefault()));

    /// <summary>
    /// Runs <paramref name="work"/> and streams its progress as JSON lines. The status line is sent with the first
    /// message, so an error before any progress is an ordinary API error with its status code (as dockerd does); after
    /// that it can only be an errorDetail line.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, Func<IProgress<ProgressMessage>, Task> work, CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<ProgressMessage>(new UnboundedChannelOptions { SingleReader = true });
        var progress = new ChannelProgress(channel.Writer);
        var task = Task.Run(async () =>
        {
            try
            {
                await work(progress);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var message in channel.Reader.ReadAllAsync(CancellationToken.None))
            {
                if (!http.Response.HasStarted)
                {
                    http.Response.StatusCode = 200;
                    http.Response.ContentType = "application/json";
                }
                await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(message, ProgressJsonContext.Default.ProgressMessage), ct);
                await http.Response.Body.WriteAsync("\r\n"u8.ToArray(), ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (Exception e) when (http.Response.HasStarted && !ct.IsCancellationRequested)
        {
            var text = Translate(e).Message;
            await http.Response.WriteAsync(JsonSerializer.Serialize(new { errorDetail = new { message = text }, error = text }) + "\r\n", ct);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        finally
        {
            await task;
        }
    }

    private static async Task Run(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
    }

    private static T Guard<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException e)
        {
            throw EngineException.BadRequest(e.Message);
        }
    }

    /// <summary>Registry and store failures as Docker API errors with dockerd's status codes.</summary>
    private static Exception Translate(Exception e) => e switch
    {
        EngineException or OperationCanceledException => e,
        RegistryException r => new EngineException(r.Status, r.Message),
        ImageNotFoundException n => new EngineException(404, n.Message),
        ImageFormatException f => new EngineException(500, f.Message),
        ArgumentException a => EngineException.BadRequest(a.Message),
        HttpRequestException or IOException => new EngineException(500, e.Message),
        _ => e,
    };

    private sealed class ChannelProgress(ChannelWriter<ProgressMessage> writer) : IProgress<ProgressMessage>
    {
        public void Report(ProgressMessage value) => writer.TryWrite(value);
    }
}
