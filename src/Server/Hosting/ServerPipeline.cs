using ContainerConsole.Server.Audit;

namespace ContainerConsole.Server.Hosting;

internal static class ServerPipeline
{
    /// <summary>
    /// Errors as ProblemDetails, then routing, then the audit (outside authentication and authorization, so it
    /// sees refusals too), the body limit, authentication, authorization and antiforgery.
    /// </summary>
    public static WebApplication UseContainerConsolePipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api => api.UseStatusCodePages());
        app.UseRouting();
        app.UseMiddleware<AuditMiddleware>();
        app.UseMiddleware<RequestBodyLimit>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }
}
