using System.Diagnostics;
using System.Security.Claims;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure.Entities;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Writes the audit entry of a console call: source api, action <c>ui &lt;what&gt;</c> (see
/// <see cref="ConsoleContainerActions.AuditActionPrefix"/>), the signed-in user, the outcome as a status code.
/// </summary>
public sealed class ConsoleAudit(AuditLog audit, TimeProvider time, ILogger<ConsoleAudit> logger)
{
    /// <summary>Marks the start of a call: its time and a timestamp for its duration.</summary>
    public (DateTimeOffset At, long Started) Begin() => (time.GetUtcNow(), Stopwatch.GetTimestamp());

    /// <param name="action">Without the prefix, e.g. <c>container.run</c>.</param>
    public async Task RecordAsync(ClaimsPrincipal principal, string action, string host, string target, (DateTimeOffset At, long Started) call, int status, string result)
    {
        var entry = new AuditEntryEntity
        {
            Time = call.At,
            Source = AuditLog.SourceApi,
            UserId = principal.FindFirstValue(ClaimTypes.NameIdentifier),
            UserName = principal.Identity?.Name,
            AuthMethod = principal.FindFirstValue(AuthSchemes.MethodClaim) ?? "none",
            RemoteAddress = "console",
            Action = ConsoleContainerActions.AuditActionPrefix + action,
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
