using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContainerConsole.Server.Agents;

/// <summary>Container calls beyond listing and the plain actions.</summary>
public sealed partial class DockerEngineClient
{
    /// <summary><c>GET /containers/json?all=1&amp;filters=...</c> with Docker's filters (e.g. <c>label</c>, <c>status</c>, <c>ancestor</c>, <c>name</c>).</summary>
    public Task<List<DockerContainer>> ListContainersAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> filters, CancellationToken cancellationToken)
    {
        var path = "containers/json?all=1";
        if (filters.Count > 0)
        {
            var json = new JsonObject();
            foreach (var (key, values) in filters)
            {
                json[key] = new JsonArray([.. values.Select(v => JsonValue.Create(v))]);
            }

            path += "&filters=" + Escape(json.ToJsonString());
        }

        return GetJsonAsync(path, DockerJsonContext.Default.ListDockerContainer, cancellationToken);
    }

    /// <summary><c>GET /containers/{id}/json</c>.</summary>
    public Task<JsonElement> InspectContainerAsync(string id, CancellationToken cancellationToken) =>
        GetElementAsync($"containers/{Escape(id)}/json", cancellationToken);

    /// <summary><c>POST /containers/create?name=</c>; returns the new id.</summary>
    public async Task<string> CreateContainerAsync(string? name, JsonObject body, CancellationToken cancellationToken)
    {
        var path = "containers/create" + (string.IsNullOrEmpty(name) ? "" : "?name=" + Escape(name));
        var answer = await SendJsonAsync(HttpMethod.Post, path, body, cancellationToken);
        return answer is { ValueKind: JsonValueKind.Object } created && created.TryGetProperty("Id", out var id) && id.GetString() is { Length: > 0 } value
            ? value
            : throw new DockerEngineException(System.Net.HttpStatusCode.OK, $"POST /{path} answered no container id.");
    }

    /// <summary><c>POST /containers/{id}/{action}</c> with a query (e.g. <c>t=</c> for stop, <c>signal=</c> for kill).</summary>
    public async Task ContainerActionAsync(string id, string action, string query, CancellationToken cancellationToken)
    {
        // stop and restart wait up to t seconds (Docker's default: 10) before killing: the deadline allows for that.
        var grace = action is "stop" or "restart" ? TimeSpan.FromSeconds(StopSeconds(query)) : TimeSpan.Zero;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout + grace);
        try
        {
            using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/{action}{query}", deadline.Token, bounded: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentUnreachableException($"{_endpoint.Uri} did not {action} {id} within {(_timeout + grace).TotalSeconds:0.#} s");
        }
    }

    private static int StopSeconds(string query)
    {
        var t = System.Web.HttpUtility.ParseQueryString(query).Get("t");
        return int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : 10;
    }

    /// <summary><c>POST /containers/{id}/rename?name=</c>.</summary>
    public async Task RenameContainerAsync(string id, string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{Escape(id)}/rename?name={Escape(name)}", cancellationToken);
    }

    /// <summary><c>POST /containers/{id}/update</c> (limits and restart policy, live).</summary>
    public async Task<JsonElement?> UpdateContainerAsync(string id, JsonObject body, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, $"containers/{Escape(id)}/update", body, cancellationToken);

    /// <summary><c>POST /commit?container=&amp;repo=&amp;tag=...</c>; returns the answer (<c>{"Id": ...}</c>).</summary>
    public async Task<JsonElement?> CommitContainerAsync(string id, string query, JsonObject? config, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, $"commit?container={Escape(id)}{query}", config, cancellationToken);

    /// <summary><c>GET /containers/{id}/top</c>.</summary>
    public Task<JsonElement> TopAsync(string id, string? psArgs, CancellationToken cancellationToken) =>
        GetElementAsync($"containers/{Escape(id)}/top{(string.IsNullOrEmpty(psArgs) ? "" : "?ps_args=" + Escape(psArgs))}", cancellationToken);

    /// <summary><c>GET /containers/{id}/changes</c> (may be null: no changes).</summary>
    public async Task<JsonElement?> ChangesAsync(string id, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Get, $"containers/{Escape(id)}/changes", null, cancellationToken);

    /// <summary>
    /// <c>GET /containers/{id}/logs</c> without following: the last lines, demultiplexed when the container has no TTY
    /// (Docker frames each chunk with an 8-byte header naming stdout or stderr).
    /// </summary>
    public async Task<List<DockerLogLine>> GetLogsAsync(string id, bool tty, string query, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"containers/{Escape(id)}/logs?{query}", cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        // The same splitter as the followed stream: a line cut across two frames is joined, not shown twice.
        var splitter = new LogLineSplitter();
        var lines = new List<DockerLogLine>();
        if (tty)
        {
            lines.AddRange(splitter.Add(LogStream.Stdout, bytes));
        }
        else
        {
            for (var i = 0; i + 8 <= bytes.Length;)
            {
                var length = (bytes[i + 4] << 24) | (bytes[i + 5] << 16) | (bytes[i + 6] << 8) | bytes[i + 7];
                if (length < 0 || i + 8 + length > bytes.Length)
                {
                    throw new DockerEngineException(response.StatusCode, $"GET /containers/{id}/logs sent a truncated frame.");
                }

                lines.AddRange(splitter.Add(bytes[i] == 2 ? LogStream.Stderr : LogStream.Stdout, bytes.AsSpan(i + 8, length)));
                i += 8 + length;
            }
        }

        lines.AddRange(splitter.Flush());
        return lines;
    }
}
