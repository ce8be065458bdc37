using System.Runtime.CompilerServices;
using System.Text.Json;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// <c>/hubs/progress</c> (operator and up): starts a long operation on an agent and streams its progress to the
/// client that started it. Stopping the stream cancels the call to the agent.
/// </summary>
// Connecting needs a signed-in user (any role); each method names the role it needs, so a viewer hears why.
[Authorize(Policy = Policies.Read)]
public sealed class ProgressHub(LiveFeeds feeds, ILogger<ProgressHub> logger) : Hub
{
    /// <summary>Pulls <paramref name="image"/> (with <paramref name="tag"/>, or the tag in the reference) on <paramref name="host"/>.</summary>
    [Authorize(Policy = Policies.Operate)]
    public IAsyncEnumerable<ProgressMessage> Pull(string host, string image, string? tag, CancellationToken cancellationToken)
    {
        var agent = feeds.Host(host);
        if (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace))
        {
            throw new HubException($"image: '{image}' is not an image reference.");
        }

        logger.LogInformation("{User} pulls {Image}:{Tag} on {Host}", Context.User?.Identity?.Name, image, tag, host);
        return PullAsync(agent.Client, image, tag, cancellationToken).Explained(cancellationToken);
    }

    private static async IAsyncEnumerable<ProgressMessage> PullAsync(Agents.DockerEngineClient client, string image, string? tag, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in client.PullImageAsync(image, tag, cancellationToken))
        {
            yield return ToProgress(message);
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
        return new ProgressMessage(Text(message, "id"), Text(message, "status"), Text(message, "progress"), Number(detail, "current"), Number(detail, "total"), error);
    }
}
