using ContainerConsole.Server.Audit;

namespace ContainerConsole.Server.Hosting;

internal static class ServerPipeline
{
    /// <summary>
    /// The forwarded headers of trusted proxies first (the client's address and scheme for everything after), errors
    /// as ProblemDetails, then routing, then the audit (outside authentication and authorization, so it
    /// sees refusals too), the per-address sign-in limit (inside the audit, so a refused attempt is audited), authentication, authorization, the body limit (after them, so a refused caller hears
    /// 401/403 and an oversize body is audited with its user) and antiforgery.
    /// </summary>
    public static WebApplication UseContainerConsolePipeline(this WebApplication app)
    {
        app.UseTrustedProxies();
        app.UseExceptionHandler();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api => api.UseStatusCodePages());
        app.UseRouting();
        app.UseMiddleware<AuditMiddleware>();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseAntiforgery();
        return app;
    }
}
