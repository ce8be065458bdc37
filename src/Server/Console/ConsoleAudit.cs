using System.Diagnostics;
using System.Security.Claims;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure.Entities;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Audit entries of what users do through the console's services (source <c>ui</c>): the REST API's audit middleware
/// never sees those calls, so each service records its own attempt — done, refused or failed — with the user.
/// </summary>
public sealed class ConsoleAudit(AuditLog audit, TimeProvider time, ILogger<ConsoleAudit> logger)
{
    /// <summary>Starts timing an attempt; pass the result to <see cref="RecordAsync"/>.</summary>
    public ConsoleAttempt Begin(ClaimsPrincipal principal, string action, string? host, string target) =>
        new(principal, action, host, target, time.GetUtcNow(), Stopwatch.GetTimestamp());

    public async Task RecordAsync(ConsoleAttempt attempt, int status, string result, string? details = null)
    {
        var principal = attempt.Principal;
        var entry = new AuditEntryEntity
        {
            Time = attempt.At,
            Source = AuditLog.SourceUi,
            UserId = principal.FindFirstValue(ClaimTypes.NameIdentifier),
            UserName = principal.Identity?.Name,
            AuthMethod = principal.FindFirstValue(AuthSchemes.MethodClaim) ?? "none",
            RemoteAddress = "console",
            Action = attempt.Action,
            Target = attempt.Target,
            Host = attempt.Host,
            StatusCode = status,
            Result = result,
            DurationMs = Math.Round(Stopwatch.GetElapsedTime(attempt.Started).TotalMilliseconds, 3),
            Details = details,
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

/// <summary>One console action under way, as its audit entry will name it.</summary>
public sealed record ConsoleAttempt(ClaimsPrincipal Principal, string Action, string? Host, string Target, DateTimeOffset At, long Started);
