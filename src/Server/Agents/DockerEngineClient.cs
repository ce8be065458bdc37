using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ContainerConsole.Server.Agents;

/// <summary>
/// Typed client of one agent's Docker Engine API. Works against our agent and against a plain dockerd
/// or Podman service, over a unix socket or TCP. Every call is bounded by the client's timeout; a host
/// that cannot be reached raises <see cref="AgentUnreachableException"/>, an error answer
/// <see cref="DockerEngineException"/>.
/// </summary>
public sealed class DockerEngineClient : IDisposable
{
    private static readonly ProductInfoHeaderValue UserAgent = new("ContainerConsole-Server", "1.0");

    private readonly HttpClient _http;
    private readonly AgentEndpoint _endpoint;
    private readonly TimeSpan _timeout;

    /// <param name="http">A client whose base address is the agent's root (see <see cref="CreateHttpClient"/>).</param>
    /// <param name="endpoint">The agent, for error messages.</param>
    /// <param name="timeout">Bound of each call.</param>
    public DockerEngineClient(HttpClient http, AgentEndpoint endpoint, TimeSpan timeout)
    {
        _http = http;
        _endpoint = endpoint;
        _timeout = timeout;
    }

    /// <summary>A client for <paramref name="endpoint"/> and the HTTP client it owns.</summary>
    public static DockerEngineClient Create(AgentEndpoint endpoint, TimeSpan timeout) =>
        new(CreateHttpClient(endpoint, timeout), endpoint, timeout);

    /// <summary>
    /// An <see cref="HttpClient"/> that reaches the agent: for a unix socket, every connection is a
    /// <see cref="UnixDomainSocketEndPoint"/> connection and the HTTP host is <c>localhost</c>.
    /// </summary>
    public static HttpClient CreateHttpClient(AgentEndpoint endpoint, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        };

        Uri baseAddress;
        if (endpoint.Transport == AgentTransport.UnixSocket)
        {
            var socketPath = endpoint.Address;
            handler.ConnectCallback = (_, cancellationToken) => ConnectUnixAsync(socketPath, cancellationToken);
            baseAddress = new Uri("http://localhost/");
        }
        else
        {
            baseAddress = new Uri(endpoint.Address.TrimEnd('/') + "/");
        }

        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan, // each call carries its own deadline
        };
    }

    /// <summary><c>GET /_ping</c>.</summary>
    public async Task<DockerPing> PingAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync("_ping", cancellationToken);
        var apiVersion = response.Headers.TryGetValues("Api-Version", out var values) ? values.FirstOrDefault() : null;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new DockerPing(body.Trim() == "OK", apiVersion);
    }

    /// <summary><c>GET /version</c>.</summary>
    public Task<DockerVersion> GetVersionAsync(CancellationToken cancellationToken) =>
        GetJsonAsync("version", DockerJsonContext.Default.DockerVersion, cancellationToken);

    /// <summary><c>GET /containers/json</c>, with stopped containers when <paramref name="all"/>.</summary>
    public async Task<IReadOnlyList<DockerContainer>> ListContainersAsync(bool all, CancellationToken cancellationToken) =>
        await GetJsonAsync(all ? "containers/json?all=1" : "containers/json", DockerJsonContext.Default.ListDockerContainer, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(path, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken)
                ?? throw new DockerEngineException(response.StatusCode, $"GET /{path} answered null.");
        }
        catch (JsonException ex)
        {
            throw new DockerEngineException(response.StatusCode, $"GET /{path} answered malformed JSON: {ex.Message}");
        }
    }

    /// <summary>Sends a GET and returns the successful response (the caller disposes it).</summary>
    private async Task<HttpResponseMessage> SendAsync(string path, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);

        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.UserAgent.Add(UserAgent);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentUnreachableException($"{_endpoint.Uri} did not answer within {_timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            throw new AgentUnreachableException(Describe(ex), ex);
        }
        catch (IOException ex)
        {
            throw new AgentUnreachableException($"connection to {_endpoint.Uri} failed: {ex.Message}", ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw new DockerEngineException(response.StatusCode, await ReadErrorAsync(response, path, cancellationToken));
        }
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string? message = null;
        try
        {
            message = JsonSerializer.Deserialize(body, DockerJsonContext.Default.DockerError)?.Message;
        }
        catch (JsonException)
        {
            // Not Docker's error shape: fall back to the raw text.
        }

        message ??= body.Length is > 0 and <= 512 ? body.Trim() : response.ReasonPhrase;
        return $"GET /{path} failed with {(int)response.StatusCode} {response.StatusCode}: {message}";
    }

    private string Describe(HttpRequestException ex) => ex.InnerException switch
    {
        UnixSocketConnectException unix => unix.Message,
        SocketException socket => $"cannot connect to {_endpoint.Uri}: {socket.Message}",
        IOException io => $"cannot connect to {_endpoint.Uri}: {io.Message}",
        _ => $"cannot connect to {_endpoint.Uri}: {ex.Message}",
    };

    private static async ValueTask<Stream> ConnectUnixAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex) when (!File.Exists(socketPath))
        {
            // ENOENT surfaces as "Cannot assign requested address"; say what it means.
            socket.Dispose();
            throw new UnixSocketConnectException($"no socket at {socketPath} (is the agent running?)", ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            socket.Dispose();
            throw new UnixSocketConnectException($"permission denied on {socketPath} (is this user in the socket's group?)", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A unix socket connection failed for a reason worth saying plainly; the message names the socket.</summary>
    private sealed class UnixSocketConnectException(string message, Exception innerException)
        : IOException(message, innerException);
}
