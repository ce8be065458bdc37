using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Server.Audit;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// Audit entries of the progress hub's loads and builds (and pulls), which the REST API's audit middleware never sees:
/// one entry when the stream ends — <c>success</c>, or <c>failed</c> with the agent's error, a broken stream or the
/// client going away — with the caller, host, target (image, tags) and duration, as <see cref="HubAudit"/> does for terminals.
/// </summary>
public static class ProgressAudit
{
    public const string PullAction = "image.pull";
    public const string LoadAction = "image.load";
    public const string BuildAction = "image.build";

    public static async IAsyncEnumerable<ProgressMessage> Audited(
        this IAsyncEnumerable<ProgressMessage> source,
        HubAudit audit,
        HubCaller caller,
        string action,
        string host,
        string target,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        string? imageId = null;
        var ended = false;
        try
        {
            await using var messages = source.GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await messages.MoveNextAsync())
                    {
                        ended = true;
                        break;
                    }
                }
                catch (Exception ex)
                {
                    error = ex is OperationCanceledException ? "cancelled by the client" : ex.Message;
                    throw;
                }

                var message = messages.Current;
                error ??= message.Error;
                imageId = message.ImageId ?? imageId;
                yield return message;
            }
        }
        finally
        {
            // Not ended and no error: the client stopped reading (closed the page) part way.
            error ??= ended ? null : "cancelled by the client";
            var details = JsonSerializer.Serialize(new ProgressAuditDetails(imageId, error), ProgressAuditJsonContext.Default.ProgressAuditDetails);
            await audit.RecordAsync(caller, action, host, target, error is null ? "success" : "failed", details, Stopwatch.GetElapsedTime(started));
        }
    }
}

/// <summary>What a load's or build's audit entry keeps in <c>Details</c>.</summary>
internal sealed record ProgressAuditDetails(string? ImageId, string? Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProgressAuditDetails))]
internal sealed partial class ProgressAuditJsonContext : JsonSerializerContext;
