using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContainerConsole.Server.Agents;

/// <summary>
/// Untyped calls: the server passes most of the agent's answers (inspect, history, prune reports) through as they
/// are, so it needs no model of every Docker field and stays right whatever the engine adds.
/// </summary>
public sealed partial class DockerEngineClient
{
    /// <summary>GET <paramref name="path"/> and return its JSON body.</summary>
    public async Task<JsonElement> GetElementAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken);
        return await ReadElementAsync(response, HttpMethod.Get, path, cancellationToken) ?? throw new DockerEngineException(response.StatusCode, $"GET /{path} answered nothing.");
    }

    /// <summary>Sends <paramref name="body"/> (if any) as JSON and returns the JSON answer, or null when the answer has no body (204, 304).</summary>
    public async Task<JsonElement?> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, path, cancellationToken, content: body is null ? null : JsonBody(body));
        return await ReadElementAsync(response, method, path, cancellationToken);
    }

    /// <summary>
    /// Starts a long call (pull, push, load, build) and returns its response once the headers arrived; reading the body
    /// is up to the caller. No deadline but <paramref name="cancellationToken"/>: these take as long as the data.
    /// </summary>
    public Task<HttpResponseMessage> OpenStreamAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken) =>
        SendAsync(method, path, cancellationToken, HttpCompletionOption.ResponseHeadersRead, content, bounded: content is null ? true : false);

    /// <summary>Starts a long call whose headers come only after the work started (pull, push): bounded until the headers arrive, like any call.</summary>
    public Task<HttpResponseMessage> OpenProgressAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken) =>
        SendAsync(method, path, cancellationToken, HttpCompletionOption.ResponseHeadersRead, body is null ? null : JsonBody(body));

    internal static StringContent JsonBody(JsonNode body) =>
        new(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static async Task<JsonElement?> ReadElementAsync(HttpResponseMessage response, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new DockerEngineException(response.StatusCode, $"{method} /{path} answered malformed JSON: {ex.Message}");
        }
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
