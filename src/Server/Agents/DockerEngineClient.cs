using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ContainerConsole.Server.Agents;

/// <summary>
/// Typed client of one agent's Docker Engine API. Works against our agent and against a plain dockerd
/// or Podman service, over a unix socket or TCP. Every call is bounded by the client's timeout; a host
/// that cannot be reached raises <see cref="AgentUnreachableException"/>, an error answer
/// <see cref="DockerEngineException"/>.
/// </summary>
public sealed partial class DockerEngineClient : IDisposable
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

        if (endpoint.Tls is { } tls)
        {
            ConfigureMutualTls(handler, tls);
        }

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

    /// <summary>
    /// Presents the client certificate and trusts only the configured CA for the agent's certificate (not the
    /// system's roots: an agent's certificate comes from the operator's own CA, as with dockerd).
    /// </summary>
    private static void ConfigureMutualTls(SocketsHttpHandler handler, AgentTls tls)
    {
        var clientCertificate = X509Certificate2.CreateFromPemFile(tls.CertPath, tls.KeyPath);
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(tls.CaCertPath);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = [clientCertificate],
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false; // no certificate, or its name does not match the host
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            },
        };
    }

    /// <summary><c>GET /_ping</c>.</summary>
    public async Task<DockerPing> PingAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "_ping", cancellationToken);
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

    /// <summary><c>POST /containers/{id}/{action}</c> for start, stop, restart, kill, pause, unpause. An already-started or -stopped container (304) is no error.</summary>
    public Task ContainerActionAsync(string id, string action, CancellationToken cancellationToken) =>
        ContainerActionAsync(id, action, "", cancellationToken);

    /// <summary><c>DELETE /containers/{id}</c>.</summary>
    public async Task RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"containers/{Uri.EscapeDataString(id)}{(force ? "?force=1" : "")}", cancellationToken);
    }

    /// <summary>
    /// <c>GET /events</c>: the agent's events since <paramref name="sinceTimeNano"/> (or from now), then live ones until
    /// the stream ends or <paramref name="cancellationToken"/> fires. Only opening the stream is bounded by the timeout.
    /// </summary>
    public async IAsyncEnumerable<DockerEvent> StreamEventsAsync(long? sinceTimeNano, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = "events";
        if (sinceTimeNano is { } since)
        {
            path += FormattableString.Invariant($"?since={since / 1_000_000_000}.{since % 1_000_000_000:D9}");
        }

        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            DockerEvent? message;
            try
            {
                message = JsonSerializer.Deserialize(line, DockerJsonContext.Default.DockerEvent);
            }
            catch (JsonException ex)
            {
                throw new DockerEngineException(response.StatusCode, $"GET /{path} sent malformed JSON: {ex.Message}");
            }

            if (message is not null)
            {
                yield return message;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken);
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

    /// <summary>
    /// Sends a request and returns the successful (or 304) response; the caller disposes it. An unbounded call
    /// (an upload or a pull, which take as long as they take) ends only with <paramref name="cancellationToken"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method,
        string path,
        CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        HttpContent? content = null,
        bool bounded = true)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        return await SendRequestAsync(request, completion, cancellationToken, bounded);
    }

    /// <summary>As <see cref="SendAsync"/>, for requests with a body or headers of their own (an exec's Upgrade).</summary>
    private async Task<HttpResponseMessage> SendRequestAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken,
        bool bounded = true)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (bounded)
        {
            deadline.CancelAfter(_timeout);
        }

        request.Headers.UserAgent.Add(UserAgent);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, deadline.Token);
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

        if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.NotModified or HttpStatusCode.SwitchingProtocols)
        {
            return response;
        }

        using (response)
        {
            throw new DockerEngineException(response.StatusCode, await ReadErrorAsync(response, request.Method, request.RequestUri?.OriginalString ?? "", cancellationToken));
        }
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, HttpMethod method, string path, CancellationToken cancellationToken)
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
        return $"{method} /{path} failed with {(int)response.StatusCode} {response.StatusCode}: {message}";
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
