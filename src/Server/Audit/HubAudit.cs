using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Audit;

/// <summary>
/// Audit entries for what users do through a hub (a terminal session), which <see cref="AuditMiddleware"/> does not see:
/// the same who, how and from where as an API call, the hub's path without its query (which may hold a token).
/// </summary>
public sealed class HubAudit(AuditLog audit, TimeProvider time, ILogger<HubAudit> logger)
{
    /// <summary>Who is calling, read while the call is live: a session's end may come after the connection is gone.</summary>
    public static HubCaller Caller(HubCallerContext context)
    {
        var user = context.User;
        var http = context.GetHttpContext();
        return new HubCaller(
            user?.FindFirstValue(ClaimTypes.NameIdentifier),
            user?.Identity?.Name,
            user?.FindFirstValue(AuthSchemes.MethodClaim) ?? "unknown",
            http?.Connection.RemoteIpAddress?.ToString() ?? "local",
            http?.Request.Path.Value);
    }

    public async Task RecordAsync(HubCaller caller, string action, string host, string target, string result, string? details, TimeSpan? duration = null)
    {
        var entry = new AuditEntryEntity
        {
            Time = time.GetUtcNow(),
            Source = AuditLog.SourceApi,
            UserId = caller.UserId,
            UserName = Truncate(caller.UserName, 64),
            AuthMethod = caller.AuthMethod,
            RemoteAddress = caller.RemoteAddress,
            Action = action,
            Path = Truncate(caller.Path, 1024),
            Target = Truncate(target, 512),
            Host = Truncate(host, 128),
            Result = result,
            DurationMs = duration is { } d ? Math.Round(d.TotalMilliseconds, 3) : null,
            Details = Truncate(details, Infrastructure.EntityConfigurations.AuditEntryConfiguration.MaxDetailsLength),
        };

        try
        {
            await audit.WriteAsync(entry, CancellationToken.None); // the client going away must not lose the record
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not write the audit record {Action} of {Target} on {Host} by {User}", action, target, host, entry.UserName);
        }
    }

    private static string? Truncate(string? value, int length) =>
        value is null || value.Length <= length ? value : value[..length];
}

/// <summary>The caller of a hub method as the audit log records it; <see cref="Path"/> is the hub's path, without the query.</summary>
public sealed record HubCaller(string? UserId, string? UserName, string AuthMethod, string RemoteAddress, string? Path);
