using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Images.Registry;

/// <summary>A manifest as the registry served it.</summary>
public sealed record FetchedManifest(byte[] Bytes, string MediaType, string? DockerContentDigest);

/// <summary>
/// One conversation with one registry (OCI distribution spec): finds a working endpoint with a GET /v2/ ping, answers
/// its WWW-Authenticate challenge (Basic, or Bearer tokens fetched per scope and cached), and speaks the manifest and
/// blob endpoints. Not shared between operations: it holds the caller's credentials.
/// </summary>
public sealed class RegistrySession : IDisposable
{
    public const long MaxManifestBytes = 4 << 20;

    private static readonly string[] ManifestAccept =
        [MediaTypes.OciIndex, MediaTypes.DockerManifestList, MediaTypes.OciManifest, MediaTypes.DockerManifest];

    private readonly RegistryEndpoints _endpoints;
    private readonly Func<RegistryEndpoint, HttpMessageHandler> _handlerFactory;
    private readonly RegistryCredentials? _credentials;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _authLock = new(1, 1);
    private readonly List<HttpClient> _clients = [];
    private HttpClient? _http;
    private AuthChallenge? _challenge;

    public RegistrySession(string domain, RegistryCredentials? credentials, RegistryEndpoints endpoints,
        Func<RegistryEndpoint, HttpMessageHandler>? handlerFactory = null)
    {
        Domain = domain;
        _credentials = credentials;
        _endpoints = endpoints;
        _handlerFactory = handlerFactory ?? endpoints.CreateHandler;
    }

    /// <summary>The registry as references name it (docker.io, 127.0.0.1:5000).</summary>
    public string Domain { get; }

    /// <summary>The endpoint chosen by the ping.</summary>
    public RegistryEndpoint? Endpoint { get; private set; }

    /// <summary>GET /v2/ on each endpoint until one answers; remembers its authentication challenge.</summary>
    public async Task PingAsync(CancellationToken ct)
    {
        if (_http is not null)
        {
            return;
        }

        var failures = new List<string>();
        foreach (var endpoint in await _endpoints.ResolveAsync(Domain, ct))
        {
            var client = new HttpClient(_handlerFactory(endpoint), disposeHandler: true) { BaseAddress = endpoint.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
            _clients.Add(client);
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, probe.Token);
                using var response = await client.GetAsync("v2/", HttpCompletionOption.ResponseHeadersRead, linked.Token);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    _challenge = PickChallenge(response);
                }
                else if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"GET {endpoint.BaseUri}v2/: {(int)response.StatusCode} {response.ReasonPhrase} (not a registry v2 API?)");
                    continue;
                }

                _http = client;
                Endpoint = endpoint;
                return;
            }
            catch (Exception e) when ((e is HttpRequestException or OperationCanceledException) && !ct.IsCancellationRequested)
            {
                failures.Add($"GET {endpoint.BaseUri}v2/: {Describe(e)}");
            }
        }

        throw new RegistryException(500, $"registry {Domain} is not reachable: {string.Join("; ", failures)}");
    }

    /// <summary>docker login: checks the credentials against the registry's challenge; throws 401 when they are refused.</summary>
    public async Task VerifyLoginAsync(CancellationToken ct)
    {
        await PingAsync(ct);
        if (_challenge is null)
        {
            return; // the registry needs no credentials
        }

        if (_credentials is null)
        {
            throw RegistryException.Unauthorized($"login to {Domain}: credentials are required");
        }

        if (_challenge.IsBearer)
        {
            await GetTokenAsync([], ct);
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "v2/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _credentials.BasicHeaderValue());
        using var response = await _http!.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw RegistryException.Unauthorized($"login to {Domain} failed: unauthorized: incorrect username or password");
        }

        await EnsureSuccessAsync(response, $"GET {Endpoint!.BaseUri}v2/", ct);
    }

    public async Task<FetchedManifest> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
            foreach (var type in ManifestAccept)
            {
                r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }

            return r;
        }, [PullScope(repository)], HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new RegistryException(404, $"manifest for {Domain}/{repository}:{reference} not found: {await ErrorTextAsync(response, ct)}".Replace(":sha256:", "@sha256:"));
        }

        await EnsureSuccessAsync(response, $"manifest {Domain}/{repository}:{reference}", ct);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw new ImageFormatException($"manifest {reference}: {response.Content.Headers.ContentLength} bytes is larger than the {MaxManifestBytes} allowed");
        }

        var bytes = await ReadLimitedAsync(response, MaxManifestBytes, ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (string.IsNullOrEmpty(mediaType) || mediaType is "application/json" or "text/plain")
        {
            mediaType = SniffMediaType(bytes);
        }

        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        return new FetchedManifest(bytes, mediaType, digest);
    }

    /// <summary>
    /// GET a blob from <paramref name="offset"/>; returns its body and how many leading bytes to discard (when the
    /// registry answered 200 to a Range request).
    /// </summary>
    public async Task<(Stream Body, long SkipBytes)> OpenBlobAsync(string repository, string digest, long offset, CancellationToken ct)
    {
        var response = await SendAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{digest}");
            if (offset > 0)
            {
                r.Headers.Range = new RangeHeaderValue(offset, null);
            }

            return r;
        }, [PullScope(repository)], HttpCompletionOption.ResponseHeadersRead, ct);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new RegistryException(404, $"blob {digest} not found in {Domain}/{repository}: {await ErrorTextAsync(response, ct)}");
            }

            await EnsureSuccessAsync(response, $"blob {digest}", ct);
            var skip = offset > 0 && response.StatusCode != HttpStatusCode.PartialContent ? offset : 0;
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From is { } from && from != offset)
            {
                throw new RegistryException(502, $"blob {digest}: asked for bytes from {offset}, the registry sent from {from}");
            }

            return (new OwningStream(await response.Content.ReadAsStreamAsync(ct), response), skip);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<bool> BlobExistsAsync(string repository, string digest, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}"),
            [PushScope(repository)], HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, $"HEAD blob {digest}", ct);
        return true;
    }

    /// <summary>Cross-repository mount; false when the registry started an ordinary upload instead (which is cancelled).</summary>
    public async Task<bool> MountBlobAsync(string repository, string digest, string fromRepository, CancellationToken ct)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"v2/{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(fromRepository)}"),
            [PushScope(repository), PullScope(fromRepository)], HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return true;
        }

        if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } location)
        {
            using var cancel = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, Resolve(location)), [PushScope(repository)],
                HttpCompletionOption.ResponseHeadersRead, ct);
            return false;
        }

        await EnsureSuccessAsync(response, $"mount blob {digest} from {fromRepository}", ct);
        return false;
    }

    /// <summary>
    /// Uploads a blob: POST to start, then one PUT with the body when it fits in <paramref name="chunkSize"/>, otherwise
    /// PATCH chunks with Content-Range and a closing PUT ?digest=. <paramref name="progress"/> gets bytes sent.
    /// </summary>
    public async Task UploadBlobAsync(string repository, string digest, Func<Stream> open, long size, long chunkSize,
        IProgress<long>? progress, CancellationToken ct)
    {
        var scopes = new[] { PushScope(repository) };
        Uri location;
        using (var start = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, $"v2/{repository}/blobs/uploads/"), scopes,
            HttpCompletionOption.ResponseHeadersRead, ct))
        {
            await EnsureSuccessAsync(start, $"start upload of {digest}", ct);
            location = Resolve(start.Headers.Location ?? throw new RegistryException(502, $"start upload of {digest}: the registry sent no Location"));
        }

        if (size <= chunkSize)
        {
            var bytes = new byte[size];
            await using (var data = open())
            {
                await data.ReadExactlyAsync(bytes, ct);
            }

            using var put = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest))
            {
                Content = Octets(bytes, 0, bytes.Length),
            }, scopes, HttpCompletionOption.ResponseHeadersRead, ct);
            await EnsureSuccessAsync(put, $"upload of {digest}", ct);
            progress?.Report(size);
            return;
        }

        var buffer = new byte[chunkSize];
        long sent = 0;
        await using (var data = open())
        {
            while (sent < size)
            {
                var n = await data.ReadAtLeastAsync(buffer, (int)Math.Min(chunkSize, size - sent), throwOnEndOfStream: true, ct);
                var at = location;
                var from = sent;
                using var patch = await SendAsync(() =>
                {
                    var r = new HttpRequestMessage(HttpMethod.Patch, at) { Content = Octets(buffer, 0, n) };
                    r.Content.Headers.TryAddWithoutValidation("Content-Range", $"{from}-{from + n - 1}");
                    return r;
                }, scopes, HttpCompletionOption.ResponseHeadersRead, ct);
                await EnsureSuccessAsync(patch, $"upload of {digest} (bytes {from}-{from + n - 1})", ct);
                location = Resolve(patch.Headers.Location ?? throw new RegistryException(502, $"upload of {digest}: the registry sent no Location"));
                sent += n;
                progress?.Report(sent);
            }
        }

        using var close = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = Octets([], 0, 0) },
            scopes, HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureSuccessAsync(close, $"upload of {digest}", ct);
    }

    /// <summary>PUT a manifest; returns the digest the registry reports (or null when it reports none).</summary>
    public async Task<string?> PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, $"v2/{repository}/manifests/{reference}") { Content = content };
        }, [PushScope(repository)], HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureSuccessAsync(response, $"manifest {Domain}/{repository}:{reference}", ct);
        return response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
    }

    public void Dispose()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        _authLock.Dispose();
    }

    public static string PullScope(string repository) => $"repository:{repository}:pull";

    public static string PushScope(string repository) => $"repository:{repository}:pull,push";

    // ---- requests and authentication ----

    /// <summary>Sends with the current authorization; on a 401 answers the (new) challenge once and resends.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string[] scopes, HttpCompletionOption completion, CancellationToken ct)
    {
        await PingAsync(ct);
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            await AuthorizeAsync(request, scopes, ct);
            var response = await _http!.SendAsync(request, completion, ct);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            var challenge = PickChallenge(response);
            if (attempt > 0 || challenge is null || (_credentials is null && challenge.IsBasic))
            {
                var detail = await ErrorTextAsync(response, ct);
                response.Dispose();
                var what = _credentials is null ? "authentication required" : "access denied";
                throw RegistryException.Unauthorized($"{what} for {Domain} ({string.Join(' ', scopes)}): {detail}" +
                    (_credentials is null ? "; run docker login first" : ""));
            }

            response.Dispose();
            _challenge = challenge;
            await _authLock.WaitAsync(ct);
            try
            {
                _tokens.Remove(ScopeKey(scopes)); // expired or too narrow
            }
            finally
            {
                _authLock.Release();
            }
        }
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, string[] scopes, CancellationToken ct)
    {
        if (_challenge is null)
        {
            return;
        }

        if (_challenge.IsBasic)
        {
            if (_credentials is { Username.Length: > 0 })
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _credentials.BasicHeaderValue());
            }

            return;
        }

        if (_challenge.IsBearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(scopes, ct));
        }
    }

    /// <summary>A bearer token for <paramref name="scopes"/> from the challenge's realm, cached per scope set.</summary>
    private async Task<string> GetTokenAsync(string[] scopes, CancellationToken ct)
    {
        var key = ScopeKey(scopes);
        await _authLock.WaitAsync(ct);
        try
        {
            if (_tokens.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var challenge = _challenge!;
            if (!Uri.TryCreate(challenge["realm"], UriKind.Absolute, out var realm) || realm.Scheme is not ("https" or "http"))
            {
                throw new RegistryException(502, $"registry {Domain}: bearer challenge has no usable realm (\"{challenge["realm"]}\")");
            }

            var query = new List<string>();
            if (challenge["service"] is { Length: > 0 } service)
            {
                query.Add("service=" + Uri.EscapeDataString(service));
            }

            query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
            HttpRequestMessage request;
            if (_credentials?.IdentityToken is { Length: > 0 } refresh)
            {
                // OAuth2 refresh-token grant, as the docker daemon does with an identity token.
                var form = new List<KeyValuePair<string, string>>
                {
                    new("grant_type", "refresh_token"), new("refresh_token", refresh), new("client_id", "containerconsole"),
                };
                if (challenge["service"] is { Length: > 0 } svc)
                {
                    form.Add(new("service", svc));
                }

                if (scopes.Length > 0)
                {
                    form.Add(new("scope", string.Join(' ', scopes)));
                }

                request = new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
            }
            else
            {
                var builder = new UriBuilder(realm);
                var existing = builder.Query.TrimStart('?');
                builder.Query = string.Join('&', new[] { existing }.Where(q => q.Length > 0).Concat(query));
                request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
                if (_credentials is { Username.Length: > 0 })
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _credentials.BasicHeaderValue());
                }
            }

            using (request)
            {
                using var response = await TokenClient(realm).SendAsync(request, ct);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw RegistryException.Unauthorized(_credentials is null
                        ? $"registry {Domain}: anonymous token refused ({(int)response.StatusCode}); run docker login first"
                        : $"registry {Domain}: unauthorized: incorrect username or password");
                }

                await EnsureSuccessAsync(response, $"token from {realm.GetLeftPart(UriPartial.Path)}", ct);
                TokenResponse? parsed;
                try
                {
                    parsed = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(ct), RegistryJsonContext.Default.TokenResponse);
                }
                catch (JsonException e)
                {
                    throw new RegistryException(502, $"registry {Domain}: malformed token response: {e.Message}");
                }

                var token = parsed?.Token is { Length: > 0 } t ? t : parsed?.AccessToken;
                if (string.IsNullOrEmpty(token))
                {
                    throw new RegistryException(502, $"registry {Domain}: token response has neither \"token\" nor \"access_token\"");
                }

                _tokens[key] = token;
                return token;
            }
        }
        finally
        {
            _authLock.Release();
        }
    }

    private HttpClient TokenClient(Uri realm)
    {
        if (Endpoint is not null && string.Equals(realm.GetLeftPart(UriPartial.Authority), Endpoint.BaseUri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            return _http!;
        }

        var endpoint = new RegistryEndpoint(new Uri(realm.GetLeftPart(UriPartial.Authority) + "/"), VerifyTls: Endpoint?.VerifyTls ?? true);
        var client = new HttpClient(_handlerFactory(endpoint), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
        _clients.Add(client);
        return client;
    }

    private static string ScopeKey(string[] scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));

    /// <summary>Bearer is preferred over Basic when a registry offers both.</summary>
    private static AuthChallenge? PickChallenge(HttpResponseMessage response)
    {
        var all = response.Headers.WwwAuthenticate.SelectMany(h => AuthChallenge.Parse(h.ToString())).ToList();
        return all.FirstOrDefault(c => c.IsBearer) ?? all.FirstOrDefault(c => c.IsBasic);
    }

    private Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(Endpoint!.BaseUri, location);

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        var q = builder.Query.TrimStart('?');
        builder.Query = (q.Length > 0 ? q + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }

    private static ByteArrayContent Octets(byte[] bytes, int offset, int count)
    {
        var content = new ByteArrayContent(bytes, offset, count);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await ErrorTextAsync(response, ct);
        var status = response.StatusCode switch
        {
            HttpStatusCode.NotFound => 404,
            HttpStatusCode.Unauthorized => 401,
            HttpStatusCode.Forbidden => 403,
            HttpStatusCode.BadRequest => 400,
            _ => 500,
        };
        throw new RegistryException(status, $"{what}: {Domain} answered {(int)response.StatusCode} {response.ReasonPhrase}: {text}");
    }

    /// <summary>The distribution error body as "code: message" (e.g. "manifest unknown: manifest unknown").</summary>
    private static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] body;
        try
        {
            body = await ReadLimitedAsync(response, 64 << 10, ct);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ImageFormatException)
        {
            return response.ReasonPhrase ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        try
        {
            var errors = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.DistributionErrors)?.Errors;
            if (errors is { Count: > 0 })
            {
                return string.Join("; ", errors.Select(e => $"{(e.Code ?? "error").ToLowerInvariant().Replace('_', ' ')}: {e.Message}"));
            }
        }
        catch (JsonException)
        {
        }

        var text = Encoding.UTF8.GetString(body).Trim();
        return text.Length > 0 && text.Length < 512 ? text : response.ReasonPhrase ?? "";
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long limit, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var ms = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > limit)
            {
                throw new ImageFormatException($"response larger than {limit} bytes");
            }
        }

        return ms.ToArray();
    }

    /// <summary>A manifest served without a useful Content-Type names itself in its mediaType field (or has layers/manifests).</summary>
    private static string SniffMediaType(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String)
            {
                return mt.GetString()!;
            }

            return doc.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        catch (JsonException e)
        {
            throw new ImageFormatException($"manifest: malformed JSON: {e.Message}");
        }
    }

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException { InnerException: { } inner } h => $"{h.Message} ({inner.Message})",
        OperationCanceledException => "timed out",
        _ => e.Message,
    };

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class OwningStream(Stream inner, HttpResponseMessage response) : ContainerConsole.Images.Layers.ReadOnlyStreamBase
    {
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
