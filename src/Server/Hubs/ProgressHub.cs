using System.Runtime.CompilerServices;
using System.Text.Json;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// <c>/hubs/progress</c> (operator and up): starts a long operation on an agent — a pull, a load or a build — and
/// streams its progress to the client that started it. Stopping the stream cancels the call to the agent.
/// </summary>
/// <remarks>
/// Uploads (the archive of <see cref="Load"/>, the context of <see cref="Build"/>) come in the same call, as a
/// client-to-server stream of byte chunks of at most <see cref="MaxChunkBytes"/> (e.g. <c>connection.StreamAsync("Load",
/// host, chunks)</c> with an <c>IAsyncEnumerable&lt;byte[]&gt;</c> or a <c>ChannelReader&lt;byte[]&gt;</c>). The server
/// passes each chunk on to the agent as it arrives, so one call both uploads and reports, and nothing is held
/// whole in memory or on disk. What the agent refuses (not a tar, a malformed Dockerfile, a failing step) arrives
/// as a last message with <see cref="ProgressMessage.Error"/> naming the problem; a missing host, bad options or an
/// unreachable agent end the stream with a <see cref="HubException"/>.
/// </remarks>
// Connecting needs a signed-in user (any role); each method names the role it needs, so a viewer hears why.
[Authorize(Policy = Policies.Read)]
public sealed class ProgressHub(LiveFeeds feeds, HubAudit audit, ILogger<ProgressHub> logger) : Hub
{
    /// <summary>The largest upload chunk a client should send; the hub's message limit leaves room for its base64 form.</summary>
    public const int MaxChunkBytes = 64 * 1024;

    /// <summary>The hub's incoming message limit: a <see cref="MaxChunkBytes"/> chunk in base64 (JSON protocol) with room to spare.</summary>
    public const int MaxMessageBytes = 128 * 1024;

    /// <summary>Pulls <paramref name="image"/> (with <paramref name="tag"/>, or the tag in the reference) on <paramref name="host"/>.</summary>
    [HubRole(Policies.Operate, ProgressAudit.PullAction, "pull images")]
    public IAsyncEnumerable<ProgressMessage> Pull(string host, string image, string? tag, CancellationToken cancellationToken)
    {
        var agent = feeds.Host(host);
        if (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace))
        {
            throw new HubException($"image: '{image}' is not an image reference.");
        }

        logger.LogInformation("{User} pulls {Image}:{Tag} on {Host}", Context.User?.Identity?.Name, image, tag, host);
        return PullAsync(agent.Client, image, tag, cancellationToken).Explained(cancellationToken)
            .Audited(audit, HubAudit.Caller(Context), ProgressAudit.PullAction, host, tag is null ? image : $"{image}:{tag}", cancellationToken);
    }

    /// <summary>
    /// Loads the image archive (<c>docker save</c> or OCI layout tar) that the client streams as <paramref name="archive"/>
    /// into <paramref name="host"/>; the messages are the agent's load output (<see cref="ProgressMessage.Stream"/>,
    /// e.g. <c>Loaded image: app:1</c>, with <see cref="ProgressMessage.ImageId"/> when it names an id).
    /// </summary>
    [HubRole(Policies.Operate, ProgressAudit.LoadAction, "load images")]
    public IAsyncEnumerable<ProgressMessage> Load(string host, IAsyncEnumerable<byte[]> archive, CancellationToken cancellationToken)
    {
        var agent = feeds.Host(host);
        logger.LogInformation("{User} loads an image archive on {Host}", Context.User?.Identity?.Name, host);
        return UploadAsync(agent.Client, archive, (client, body) => client.LoadImageAsync(body, cancellationToken), cancellationToken)
            .Explained(cancellationToken)
            .Audited(audit, HubAudit.Caller(Context), ProgressAudit.LoadAction, host, "archive", cancellationToken);
    }

    /// <summary>
    /// Builds the Dockerfile in the tar context that the client streams as <paramref name="context"/> on
    /// <paramref name="host"/>: the messages are the build's output lines (<see cref="ProgressMessage.Stream"/>:
    /// <c>Step 1/2 : FROM ...</c>, the steps' own output) and, at the end, the image id (<see cref="ProgressMessage.ImageId"/>)
    /// or the error.
    /// </summary>
    [HubRole(Policies.Operate, ProgressAudit.BuildAction, "build images")]
    public IAsyncEnumerable<ProgressMessage> Build(string host, BuildOptions options, IAsyncEnumerable<byte[]> context, CancellationToken cancellationToken)
    {
        var agent = feeds.Host(host);
        options ??= new BuildOptions();
        var parameters = new BuildParameters(options.Tags, options.Dockerfile, options.BuildArgs, null, options.Target, options.NoCache, options.Pull);
        if (parameters.Validate() is { Count: > 0 } errors)
        {
            throw new HubException(string.Join(" ", errors.Select(e => $"{(e.Key == "t" ? "tags" : e.Key)}: {string.Join(" ", e.Value)}")));
        }

        logger.LogInformation("{User} builds {Tags} on {Host}", Context.User?.Identity?.Name, options.Tags, host);
        var query = parameters.ToQuery();
        return UploadAsync(agent.Client, context, (client, body) => client.BuildImageAsync(body, query, cancellationToken), cancellationToken)
            .Explained(cancellationToken)
            .Audited(audit, HubAudit.Caller(Context), ProgressAudit.BuildAction, host, options.Tags is { Count: > 0 } tags ? string.Join(",", tags) : "untagged", cancellationToken);
    }

    private static async IAsyncEnumerable<ProgressMessage> PullAsync(DockerEngineClient client, string image, string? tag, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in client.PullImageAsync(image, tag, cancellationToken))
        {
            yield return ToProgress(message);
        }
    }

    /// <summary>Sends the upload to the agent and passes its progress on; the agent's refusal becomes the last message.</summary>
    private static async IAsyncEnumerable<ProgressMessage> UploadAsync(
        DockerEngineClient client,
        IAsyncEnumerable<byte[]> upload,
        Func<DockerEngineClient, Stream, Task<HttpResponseMessage>> open,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var body = new UploadStream(upload, cancellationToken);
        var (response, refusal) = await OpenAsync(client, body, open);
        if (refusal is not null)
        {
            yield return ProgressMessage.Failure(refusal);
            yield break;
        }

        await foreach (var message in client.ReadProgressAsync(response!, cancellationToken))
        {
            yield return ToProgress(message);
        }
    }

    private static async Task<(HttpResponseMessage? Response, string? Refusal)> OpenAsync(
        DockerEngineClient client, Stream body, Func<DockerEngineClient, Stream, Task<HttpResponseMessage>> open)
    {
        try
        {
            return (await open(client, body), null);
        }
        catch (DockerEngineException ex)
        {
            return (null, ex.Message); // bad input: the agent's message names the problem
        }
    }

    public static ProgressMessage ToProgress(JsonElement message)
    {
        static string? Text(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        static long? Number(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

        var detail = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("progressDetail", out var d) ? d : default;
        var error = Text(message, "error")
            ?? (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("errorDetail", out var ed) ? Text(ed, "message") : null);
        var output = Text(message, "stream")?.TrimEnd('\n', '\r');
        const string LoadedId = "Loaded image ID: ";
        var imageId = (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("aux", out var aux) ? Text(aux, "ID") : null)
            ?? (output is not null && output.StartsWith(LoadedId, StringComparison.Ordinal) ? output[LoadedId.Length..].Trim() : null);
        return new ProgressMessage(Text(message, "id"), Text(message, "status"), Text(message, "progress"), Number(detail, "current"), Number(detail, "total"), error, output, imageId);
    }
}
