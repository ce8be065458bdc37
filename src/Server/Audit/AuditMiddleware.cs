using System.Diagnostics;
using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.AspNetCore.Routing.Patterns;

namespace ContainerConsole.Server.Audit;

/// <summary>
/// Writes every mutating <c>/api</c> call to the audit log after it finished: who, how they authenticated, from
/// where, the route, the target, the status and the duration. It runs outside authentication and authorization,
/// so refusals (401, 403), bad input (400, 413) and failures are recorded as well as successes.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditLog audit, TimeProvider time, ILogger<AuditMiddleware> logger)
{
    /// <summary>HttpContext item a handler sets to name the user of an anonymous call (the login's user name).</summary>
    public const string ClaimedUserItem = "ContainerConsole.Audit.ClaimedUser";

    /// <summary>Route parameters that say what was done rather than to what.</summary>
    private static readonly HashSet<string> NotTargets = new(StringComparer.OrdinalIgnoreCase) { "action" };

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsAudited(context.Request))
        {
            await next(context);
            return;
        }

        var started = time.GetTimestamp();
        var at = time.GetUtcNow();
        int? thrownStatus = null;
        try
        {
            await next(context);
        }
        catch (Exception ex)
        {
            thrownStatus = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            await RecordAsync(context, at, thrownStatus ?? context.Response.StatusCode, time.GetElapsedTime(started));
        }
    }

    public static bool IsAudited(HttpRequest request) =>
        request.Path.StartsWithSegments("/api")
        && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method));

    private async Task RecordAsync(HttpContext context, DateTimeOffset at, int status, TimeSpan duration)
    {
        var request = context.Request;
        var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern;
        var user = context.User;
        var authenticated = user.Identity?.IsAuthenticated == true;
        var entry = new AuditEntryEntity
        {
            Time = at,
            Source = AuditLog.SourceApi,
            UserId = authenticated ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null,
            UserName = Truncate(authenticated ? user.Identity!.Name : context.Items[ClaimedUserItem] as string, 64),
            AuthMethod = authenticated ? user.FindFirstValue(AuthSchemes.MethodClaim) ?? "unknown" : "none",
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString() ?? "local",
            Action = Truncate($"{request.Method} {(pattern?.RawText is { } raw ? "/" + raw.Trim('/') : request.Path.Value)}", 256)!,
            Path = Truncate(request.Path.Value, 1024),
            Target = Truncate(Target(pattern, context.Request.RouteValues), 512),
            Host = Truncate(request.RouteValues["host"] as string ?? request.Query["host"].FirstOrDefault(), 128),
            StatusCode = status,
            Result = status switch
            {
                < 400 => "success",
                StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => "denied",
                _ => "failed",
            },
            DurationMs = Math.Round(duration.TotalMilliseconds, 3),
        };

        try
        {
            await audit.WriteAsync(entry, CancellationToken.None); // the client going away must not lose the record
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not write the audit record of {Method} {Path} by {User} ({Status})", request.Method, request.Path, entry.UserName, status);
        }
    }

    private static string? Target(RoutePattern? pattern, RouteValueDictionary values)
    {
        if (pattern is null)
        {
            return null;
        }

        var parts = pattern.Parameters
            .Where(p => !NotTargets.Contains(p.Name))
            .Select(p => values.TryGetValue(p.Name, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null)
            .Where(v => !string.IsNullOrEmpty(v))
            .ToList();
        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    private static string? Truncate(string? value, int length) =>
        value is null || value.Length <= length ? value : value[..length];
}
