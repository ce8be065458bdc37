using System.Globalization;
using System.Threading.RateLimiting;
using ContainerConsole.Server.Hosting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Auth;

/// <summary>
/// Sign-in attempts per client address: the per-user lockout (<see cref="LoginThrottle"/>) does not stop one address
/// trying a few passwords against many user names (password spraying), this does. Both sign-in doors count: the REST
/// login and the browser's sign-in form. The address is the peer's, or the client's behind a trusted proxy.
/// </summary>
internal static class LoginRateLimit
{
    public static IServiceCollection AddLoginRateLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ServerOptions>>((limiter, server) =>
        {
            var permits = server.Value.LoginAttemptsPerMinute;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsSignInAttempt(context.Request)
                    ? RateLimitPartition.GetFixedWindowLimiter(
                        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                    : RateLimitPartition.GetNoLimiter(""));
            limiter.OnRejected = RejectAsync;
        });
        return services;
    }

    private static bool IsSignInAttempt(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (request.Path.Equals("/api/v1/auth/login", StringComparison.OrdinalIgnoreCase)
            || request.Path.Equals("/login", StringComparison.OrdinalIgnoreCase));

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var response = rejected.HttpContext.Response;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many sign-in attempts",
                detail: $"Too many sign-in attempts from this address. Try again in {retryAfter} s.")
            .ExecuteAsync(rejected.HttpContext);
    }
}
