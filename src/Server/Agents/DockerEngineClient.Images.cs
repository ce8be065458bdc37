using System.Net.Http.Headers;
using System.Text.Json;

namespace ContainerConsole.Server.Agents;

/// <summary>Image calls. Long ones (pull, push, load, build) hand back the open response so progress can stream on.</summary>
public sealed partial class DockerEngineClient
{
    /// <summary><c>GET /images/json</c>.</summary>
    public Task<JsonElement> ListImagesAsync(bool all, CancellationToken cancellationToken) =>
        GetElementAsync(all ? "images/json?all=1" : "images/json", cancellationToken);

    /// <summary><c>GET /images/{name}/json</c>.</summary>
    public Task<JsonElement> InspectImageAsync(string reference, CancellationToken cancellationToken) =>
        GetElementAsync($"images/{EscapeReference(reference)}/json", cancellationToken);

    /// <summary><c>GET /images/{name}/history</c>.</summary>
    public Task<JsonElement> ImageHistoryAsync(string reference, CancellationToken cancellationToken) =>
        GetElementAsync($"images/{EscapeReference(reference)}/history", cancellationToken);

    /// <summary><c>POST /images/create?fromImage=&amp;tag=</c>: the open progress stream.</summary>
    public Task<HttpResponseMessage> PullImageAsync(string image, string? tag, string? platform, CancellationToken cancellationToken) =>
        OpenProgressAsync(HttpMethod.Post, $"images/create?fromImage={Escape(image)}"
            + (string.IsNullOrEmpty(tag) ? "" : "&tag=" + Escape(tag))
            + (string.IsNullOrEmpty(platform) ? "" : "&platform=" + Escape(platform)), null, cancellationToken);

    /// <summary><c>POST /images/{name}/push?tag=</c>: the open progress stream.</summary>
    public Task<HttpResponseMessage> PushImageAsync(string name, string? tag, CancellationToken cancellationToken) =>
        OpenProgressAsync(HttpMethod.Post, $"images/{EscapeReference(name)}/push" + (string.IsNullOrEmpty(tag) ? "" : "?tag=" + Escape(tag)), null, cancellationToken);

    /// <summary><c>POST /images/load</c>: streams <paramref name="archive"/> (a docker-save tar) to the agent as it arrives.</summary>
    public Task<HttpResponseMessage> LoadImageAsync(Stream archive, CancellationToken cancellationToken) =>
        OpenStreamAsync(HttpMethod.Post, "images/load?quiet=0", TarContent(archive), cancellationToken);

    /// <summary><c>POST /build?...</c>: streams the tar context to the agent; the answer is the build's progress stream.</summary>
    public Task<HttpResponseMessage> BuildImageAsync(Stream context, string query, CancellationToken cancellationToken) =>
        OpenStreamAsync(HttpMethod.Post, "build" + query, TarContent(context), cancellationToken);

    /// <summary><c>POST /images/{name}/tag?repo=&amp;tag=</c>.</summary>
    public async Task TagImageAsync(string reference, string repo, string? tag, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post,
            $"images/{EscapeReference(reference)}/tag?repo={Escape(repo)}" + (string.IsNullOrEmpty(tag) ? "" : "&tag=" + Escape(tag)), cancellationToken);
    }

    /// <summary><c>DELETE /images/{name}?force=</c>: what was untagged and deleted.</summary>
    public async Task<JsonElement?> RemoveImageAsync(string reference, bool force, bool noPrune, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Delete, $"images/{EscapeReference(reference)}?force={(force ? 1 : 0)}&noprune={(noPrune ? 1 : 0)}", null, cancellationToken);

    /// <summary><c>POST /images/prune</c>, dangling only unless <paramref name="all"/>.</summary>
    public async Task<JsonElement?> PruneImagesAsync(bool all, CancellationToken cancellationToken) =>
        await SendJsonAsync(HttpMethod.Post, "images/prune" + (all ? "?filters=" + Escape("""{"dangling":["false"]}""") : ""), null, cancellationToken);

    private static StreamContent TarContent(Stream body)
    {
        var content = new StreamContent(body, 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return content;
    }

    /// <summary>An image reference keeps its '/' (library/busybox), everything else is escaped.</summary>
    private static string EscapeReference(string reference) => string.Join('/', reference.Split('/').Select(Escape));
}
