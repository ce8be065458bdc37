using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContainerConsole.Bench;

/// <summary>
/// A direct Docker Engine API client over the engine's unix socket: the "API client" figures, and the set-up and clean-up
/// every figure needs. Unversioned paths, so dockerd 20.10 and ccagent both answer with their newest API.
/// </summary>
public sealed class EngineClient(string socket) : IDisposable
{
    public string Socket { get; } = socket;

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
            return new NetworkStream(s, ownsSocket: true);
        },
        MaxConnectionsPerServer = 256,
    })
    { BaseAddress = new Uri("http://engine/"), Timeout = Timeout.InfiniteTimeSpan };

    public async Task<bool> PingAsync()
    {
        try
        {
            using var r = await _http.GetAsync("_ping");
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public async Task<string> CreateAsync(string image, string[] cmd, object? hostConfig = null)
    {
        using var r = await _http.PostAsJsonAsync("containers/create", new { Image = image, Cmd = cmd, HostConfig = hostConfig ?? new { } });
        return (await ReadOk(r, "create"))["Id"]!.GetValue<string>();
    }

    public async Task StartAsync(string id)
    {
        using var r = await _http.PostAsync($"containers/{id}/start", null);
        await ReadOk(r, "start");
    }

    /// <summary>docker run --rm without attaching: create, wait for the next exit (registered before the start, as the
    /// CLI does), start, read the exit code, remove.</summary>
    public async Task<int> RunRemoveAsync(string image, string[] cmd)
    {
        var id = await CreateAsync(image, cmd);
        using var wait = new HttpRequestMessage(HttpMethod.Post, $"containers/{id}/wait?condition=next-exit");
        using var waiting = await _http.SendAsync(wait, HttpCompletionOption.ResponseHeadersRead);
        await StartAsync(id);
        var exit = (await ReadOk(waiting, "wait"))["StatusCode"]!.GetValue<int>();
        await RemoveAsync(id);
        return exit;
    }

    public async Task WaitAsync(string id)
    {
        using var r = await _http.PostAsync($"containers/{id}/wait", null);
        await ReadOk(r, "wait");
    }

    public async Task RemoveAsync(string id, bool force = false)
    {
        using var r = await _http.DeleteAsync($"containers/{id}" + (force ? "?force=1" : ""));
        if (!r.IsSuccessStatusCode && r.StatusCode != System.Net.HttpStatusCode.NotFound)
            throw new InvalidOperationException($"remove {id}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    public async Task<JsonNode> InspectAsync(string id)
    {
        using var r = await _http.GetAsync($"containers/{id}/json");
        return await ReadOk(r, "inspect");
    }

    /// <summary>GET /containers/json; returns how many containers the answer listed.</summary>
    public async Task<int> ListAsync(bool all)
    {
        using var r = await _http.GetAsync("containers/json" + (all ? "?all=1" : ""));
        return (await ReadOk(r, "list")).AsArray().Count;
    }

    public async Task<IReadOnlyList<string>> AllIdsAsync()
    {
        using var r = await _http.GetAsync("containers/json?all=1");
        return (await ReadOk(r, "list")).AsArray().Select(c => c!["Id"]!.GetValue<string>()).ToList();
    }

    /// <summary>Removes every container, a few at a time.</summary>
    public async Task RemoveAllAsync()
    {
        var ids = await AllIdsAsync();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) => await RemoveAsync(id, force: true));
    }

    public async Task LoadAsync(byte[] archive)
    {
        using var body = new ByteArrayContent(archive);
        body.Headers.ContentType = new("application/x-tar");
        using var r = await _http.PostAsync("images/load?quiet=1", body);
        var text = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode || text.Contains("errorDetail", StringComparison.Ordinal))
            throw new InvalidOperationException($"load: {(int)r.StatusCode} {text}");
    }

    /// <summary>The container's stdout log, as one callback per complete line (without the newline).</summary>
    public async Task ReadLogLinesAsync(string id, Action<ReadOnlySpan<byte>> line)
    {
        using var r = await _http.GetAsync($"containers/{id}/logs?stdout=1", HttpCompletionOption.ResponseHeadersRead);
        if (!r.IsSuccessStatusCode)
            throw new InvalidOperationException($"logs: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        await using var stream = await r.Content.ReadAsStreamAsync();
        var reader = new LogFrameReader(stream);
        await reader.ReadLinesAsync(line);
    }

    /// <summary>Streams the container's stats (one JSON document a second) until <paramref name="ct"/> ends; returns how many arrived.</summary>
    public async Task<int> StreamStatsAsync(string id, CancellationToken ct)
    {
        var samples = 0;
        try
        {
            using var r = await _http.GetAsync($"containers/{id}/stats?stream=1", HttpCompletionOption.ResponseHeadersRead, ct);
            using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line)
                if (line.Length > 0)
                    samples++;
        }
        catch (OperationCanceledException)
        {
        }
        return samples;
    }

    private static async Task<JsonNode> ReadOk(HttpResponseMessage r, string what)
    {
        var text = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode)
            throw new InvalidOperationException($"{what}: {(int)r.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public void Dispose() => _http.Dispose();
}
