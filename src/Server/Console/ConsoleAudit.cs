using System.Diagnostics;
using System.Security.Claims;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure.Entities;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Writes the audit entry of a call that does not pass the REST audit middleware (console calls, hub sessions):
/// source api, the signed-in user, the outcome as a status code. Console calls' actions read <c>ui &lt;what&gt;</c>
/// (see <see cref="ConsoleOperations.AuditActionPrefix"/>).
/// </summary>
public sealed class ConsoleAudit(AuditLog audit, TimeProvider time, ILogger<ConsoleAudit> logger)
{
    /// <summary>Marks the start of a call: its time and a timestamp for its duration.</summary>
    public (DateTimeOffset At, long Started) Begin() => (time.GetUtcNow(), Stopwatch.GetTimestamp());

    /// <param name="action">Without the prefix, e.g. <c>container.run</c>.</param>
    public Task RecordAsync(ClaimsPrincipal principal, string action, string host, string target, (DateTimeOffset At, long Started) call, int status, string result) =>
        RecordAsync(principal, ConsoleOperations.AuditActionPrefix + action, host, target, call, status, result, "console");

    /// <summary>An entry with its full action and the caller's address (a hub call comes from the browser itself).</summary>
    public async Task RecordAsync(ClaimsPrincipal principal, string action, string host, string target, (DateTimeOffset At, long Started) call, int status, string result, string remoteAddress)
    {
        var entry = new AuditEntryEntity
        {
            Time = call.At,
            Source = AuditLog.SourceApi,
            UserId = principal.FindFirstValue(ClaimTypes.NameIdentifier),
            UserName = principal.Identity?.Name,
            AuthMethod = principal.FindFirstValue(AuthSchemes.MethodClaim) ?? "none",
            RemoteAddress = remoteAddress,
            Action = action,
            Target = target,
            Host = host,
            StatusCode = status,
            Result = result,
            DurationMs = Math.Round(Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds, 3),
        };
        try
        {
            await audit.WriteAsync(entry, CancellationToken.None); // a closed tab must not lose the record
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not write the audit record of {Action} {Target} by {User}", entry.Action, entry.Target, entry.UserName);
        }
    }
}
