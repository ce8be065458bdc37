using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Tests.TestSupport;

namespace ContainerConsole.Images.Tests.Registry;

/// <summary>
/// An in-memory OCI distribution registry behind a fake HttpMessageHandler: manifests, blobs, uploads and mounts,
/// optionally guarded by Basic or Bearer auth, with knobs to break things (truncated blob bodies, tampered content).
/// Every request is logged.
/// </summary>
public sealed class FakeRegistry : HttpMessageHandler
{
    public const string Host = "reg.test:5000";
    public const string TokenRealm = "https://auth.test/token";

    private readonly object _lock = new();
    private readonly Dictionary<string, (byte[] Bytes, string MediaType)> _manifests = new(); // "repo:ref"
    private readonly Dictionary<string, HashSet<string>> _repoBlobs = new(); // repo → digests
    private readonly Dictionary<string, List<byte>> _uploads = new();

    public Dictionary<string, byte[]> Blobs { get; } = new();
    public List<string> Log { get; } = [];
    public List<HttpRequestMessage> Requests { get; } = [];

    public string? Auth { get; init; } // null, "basic", "bearer"
    public string User { get; init; } = "alice";
    public string Password { get; init; } = "secret";

    /// <summary>Blob digest → how many bytes to send before the connection "breaks" (first GET only).</summary>
    public Dictionary<string, int> TruncateOnce { get; } = new();

    /// <summary>Served instead of a blob's real content.</summary>
    public Dictionary<string, byte[]> TamperedBlobs { get; } = new();

    public int TokenRequests { get; private set; }

    /// <summary>Answer Range requests with the whole blob (200), as some servers do.</summary>
    public bool IgnoreRange { get; init; }

    /// <summary>The token response's field: "access_token" (OAuth2) or "token" (Docker's).</summary>
    public string TokenField { get; init; } = "access_token";

    public void AddBlob(string repo, byte[] data)
    {
        var digest = TestLayer.Sha(data);
        lock (_lock)
        {
            Blobs[digest] = data;
            RepoBlobs(repo).Add(digest);
        }
    }

    public string AddManifest(string repo, string reference, byte[] bytes, string mediaType)
    {
        var digest = TestLayer.Sha(bytes);
        lock (_lock)
        {
            _manifests[$"{repo}:{reference}"] = (bytes, mediaType);
            _manifests[$"{repo}:{digest}"] = (bytes, mediaType);
        }

        return digest;
    }

    /// <summary>An image (config + layers) and its manifest; returns the manifest digest.</summary>
    public string AddImage(string repo, string tag, byte[] config, IReadOnlyList<TestLayer> layers, string mediaType = MediaTypes.OciManifest)
    {
        AddBlob(repo, config);
        foreach (var l in layers)
        {
            AddBlob(repo, l.Blob);
        }

        return AddManifest(repo, tag, Manifest(config, layers, mediaType), mediaType);
    }

    public static byte[] Manifest(byte[] config, IReadOnlyList<TestLayer> layers, string mediaType = MediaTypes.OciManifest)
    {
        var docker = mediaType == MediaTypes.DockerManifest;
        return OciJson.Serialize(new ImageManifest
        {
            MediaType = mediaType,
            Config = new Descriptor { MediaType = docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = TestLayer.Sha(config), Size = config.Length },
            Layers = layers.Select(l => new Descriptor
            {
                MediaType = l.Blob[0] == 0x1f ? (docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip) : (docker ? MediaTypes.DockerLayer : MediaTypes.OciLayer),
                Digest = l.Digest,
                Size = l.Blob.Length,
            }).ToList(),
        }, OciJsonContext.Default.ImageManifest);
    }

    public bool HasManifest(string repo, string reference)
    {
        lock (_lock)
        {
            return _manifests.ContainsKey($"{repo}:{reference}");
        }
    }

    public bool RepoHasBlob(string repo, string digest)
    {
        lock (_lock)
        {
            return RepoBlobs(repo).Contains(digest);
        }
    }

    public int Count(string method, string pathContains)
    {
        lock (_lock)
        {
            return Log.Count(l => l.StartsWith(method + " ", StringComparison.Ordinal) && l.Contains(pathContains, StringComparison.Ordinal));
        }
    }

    private HashSet<string> RepoBlobs(string repo) => _repoBlobs.TryGetValue(repo, out var s) ? s : _repoBlobs[repo] = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(ct);
        lock (_lock)
        {
            Log.Add($"{request.Method} {request.RequestUri}");
            Requests.Add(request);
            return Handle(request, body);
        }
    }

    private HttpResponseMessage Handle(HttpRequestMessage request, byte[] body)
    {
        var uri = request.RequestUri!;
        if (uri.GetLeftPart(UriPartial.Path) == TokenRealm)
        {
            TokenRequests++;
            if (request.Headers.Authorization is not { Scheme: "Basic" } basic
                || Encoding.UTF8.GetString(Convert.FromBase64String(basic.Parameter!)) != $"{User}:{Password}")
            {
                return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            }

            var scope = string.Join(" ", Query(uri).Where(kv => kv.Key == "scope").Select(kv => kv.Value));
            return Json(HttpStatusCode.OK, $$"""{"{{TokenField}}":"tok {{scope}}","expires_in":300}""");
        }

        if (uri.Authority != Host)
        {
            throw new HttpRequestException($"no route to {uri.Authority}");
        }

        if (!Authorized(request))
        {
            var r = Json(HttpStatusCode.Unauthorized, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""");
            r.Headers.WwwAuthenticate.ParseAdd(Auth == "basic"
                ? "Basic realm=\"fake\""
                : $"Bearer realm=\"{TokenRealm}\",service=\"fake-registry\",scope=\"{ScopeFor(uri.AbsolutePath)}\"");
            return r;
        }

        var path = uri.AbsolutePath;
        if (path == "/v2/")
        {
            return Json(HttpStatusCode.OK, "{}");
        }

        var m = System.Text.RegularExpressions.Regex.Match(path, "^/v2/(.+)/(manifests|blobs)/(uploads/?)?(.*)$");
        if (!m.Success)
        {
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        }

        var repo = m.Groups[1].Value;
        var reference = Uri.UnescapeDataString(m.Groups[4].Value);
        if (m.Groups[2].Value == "manifests")
        {
            if (request.Method == HttpMethod.Put)
            {
                var digest = AddManifest(repo, reference, body, request.Content!.Headers.ContentType!.MediaType!);
                var created = new HttpResponseMessage(HttpStatusCode.Created);
                created.Headers.Add("Docker-Content-Digest", digest);
                return created;
            }

            if (!_manifests.TryGetValue($"{repo}:{reference}", out var man))
            {
                return Json(HttpStatusCode.NotFound, """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""");
            }

            var ok = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(man.Bytes) };
            ok.Content.Headers.ContentType = new MediaTypeHeaderValue(man.MediaType);
            ok.Headers.Add("Docker-Content-Digest", TestLayer.Sha(man.Bytes));
            return ok;
        }

        if (m.Groups[3].Success && m.Groups[3].Value.Length > 0)
        {
            return HandleUpload(request, repo, reference, body);
        }

        if (!RepoBlobs(repo).Contains(reference) || !Blobs.TryGetValue(reference, out var blob))
        {
            return Json(HttpStatusCode.NotFound, """{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}""");
        }

        if (request.Method == HttpMethod.Head)
        {
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
        }

        blob = TamperedBlobs.GetValueOrDefault(reference) ?? blob;
        var from = IgnoreRange ? 0 : request.Headers.Range?.Ranges.First().From ?? 0;
        var slice = blob[(int)from..];
        var response = new HttpResponseMessage(from > 0 ? HttpStatusCode.PartialContent : HttpStatusCode.OK);
        if (TruncateOnce.Remove(reference, out var cut))
        {
            response.Content = new StreamContent(new BreakingStream(slice[..cut]));
        }
        else
        {
            response.Content = new ByteArrayContent(slice);
        }

        if (from > 0)
        {
            response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, blob.Length - 1, blob.Length);
        }

        return response;
    }

    private HttpResponseMessage HandleUpload(HttpRequestMessage request, string repo, string session, byte[] body)
    {
        var query = Query(request.RequestUri!);
        if (request.Method == HttpMethod.Post)
        {
            if (query.FirstOrDefault(kv => kv.Key == "mount").Value is { } mount
                && query.FirstOrDefault(kv => kv.Key == "from").Value is { } from && RepoBlobs(from).Contains(mount))
            {
                RepoBlobs(repo).Add(mount);
                return new HttpResponseMessage(HttpStatusCode.Created);
            }

            var id = Guid.NewGuid().ToString("N");
            _uploads[id] = [];
            var accepted = new HttpResponseMessage(HttpStatusCode.Accepted);
            accepted.Headers.Location = new Uri($"/v2/{repo}/blobs/uploads/{id}?_state=x", UriKind.Relative);
            return accepted;
        }

        if (!_uploads.TryGetValue(session, out var data))
        {
            return Json(HttpStatusCode.NotFound, """{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown"}]}""");
        }

        if (request.Method == HttpMethod.Delete)
        {
            _uploads.Remove(session);
            return new HttpResponseMessage(HttpStatusCode.NoContent);
        }

        data.AddRange(body);
        if (request.Method == HttpMethod.Patch)
        {
            var r = new HttpResponseMessage(HttpStatusCode.Accepted);
            r.Headers.Location = new Uri($"/v2/{repo}/blobs/uploads/{session}?_state=y", UriKind.Relative);
            return r;
        }

        var digest = query.First(kv => kv.Key == "digest").Value;
        var bytes = data.ToArray();
        if (TestLayer.Sha(bytes) != digest)
        {
            return Json(HttpStatusCode.BadRequest, """{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}""");
        }

        _uploads.Remove(session);
        AddBlob(repo, bytes);
        return new HttpResponseMessage(HttpStatusCode.Created);
    }

    private bool Authorized(HttpRequestMessage request)
    {
        var auth = request.Headers.Authorization;
        return Auth switch
        {
            null => true,
            "basic" => auth is { Scheme: "Basic" } && Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter!)) == $"{User}:{Password}",
            _ => auth is { Scheme: "Bearer", Parameter: { } token } && (request.RequestUri!.AbsolutePath == "/v2/" || token.Contains(ScopeFor(request.RequestUri.AbsolutePath), StringComparison.Ordinal)),
        };
    }

    private static string ScopeFor(string path)
    {
        var m = System.Text.RegularExpressions.Regex.Match(path, "^/v2/(.+)/(manifests|blobs)/");
        return m.Success ? $"repository:{m.Groups[1].Value}:pull" : "";
    }

    private static List<KeyValuePair<string, string>> Query(Uri uri) =>
        uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "")).ToList();

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>Delivers its bytes, then fails like a dropped connection.</summary>
    private sealed class BreakingStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            return n > 0 ? n : throw new IOException("connection reset by peer (test)");
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await base.ReadAsync(buffer, ct);
            return n > 0 ? n : throw new IOException("connection reset by peer (test)");
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    }
}
