using System.Globalization;
using System.Text;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;

// Namespace WebConsole, not Console: a ContainerConsole.Server.Console namespace would hide System.Console in the server.
namespace ContainerConsole.Server.WebConsole;

/// <summary>The server's side of the web console's contracts (ContainerConsole.Web.Services), in one place.</summary>
public static class ConsoleSetup
{
    public static IServiceCollection AddConsoleServices(this IServiceCollection services)
    {
        // Scoped: each circuit acts as its own signed-in user.
        services.AddScoped<ConsoleUser>();
        services.AddScoped<IConsoleAccess>(sp => sp.GetRequiredService<ConsoleUser>());
        services.AddScoped<IContainerActions, ConsoleContainerActions>();
        services.AddScoped<IContainerRunner, ConsoleContainerRunner>();
        services.AddScoped<IContainerResources, ConsoleContainerResources>();
        services.AddScoped<IContainerInspection, ConsoleContainerInspection>();
        services.AddSingleton<ConsoleAudit>();
        services.AddScoped<ConsoleGate>();
        services.AddScoped<IUserAdmin, ConsoleUserAdmin>();
        services.AddScoped<IApiTokenService, ConsoleApiTokens>();
        services.AddScoped<IHostAdmin, ConsoleHostAdmin>();
        services.AddScoped<IAuditTrail, ConsoleAuditTrail>();
        services.AddSingleton<IDashboardService, ConsoleDashboard>();
        services.AddSingleton<IEventFeed, ConsoleEventFeed>();
        services.AddSingleton<IContainerFeed, ConsoleContainerFeed>();
        services.AddSingleton<IContainerDetailsService, ConsoleContainerDetails>();
        services.AddSingleton<ILogFeed, ConsoleLogFeed>();
        services.AddScoped<ConsoleOperations>();
        services.AddScoped<IImageService, ConsoleImages>();
        services.AddScoped<IVolumeService, ConsoleVolumes>();
        services.AddScoped<INetworkService, ConsoleNetworks>();
        return services;
    }

    /// <summary>
    /// <c>GET /console/logs/{host}/{id}</c> (viewer and up): the container's logs as a text file, streamed as the agent
    /// sends them (all lines, or those between <c>since</c> and <c>until</c>), for the log view's download button.
    /// </summary>
    public static IEndpointRouteBuilder MapConsoleEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/logs/{host}/{id}", DownloadLogsAsync).RequireAuthorization(Policies.Read).ExcludeFromDescription();
        return app;
    }

    private static async Task DownloadLogsAsync(
        HttpContext context, string host, string id, ILogFeed logs, CancellationToken cancellationToken,
        DateTimeOffset? since = null, DateTimeOffset? until = null, bool timestamps = false)
    {
        var query = new LogQuery(host, id, Tail: null, since, until, Follow: false);
        IAsyncEnumerator<LogLine> lines;
        bool any;
        try
        {
            lines = logs.ReadAsync(query, cancellationToken).GetAsyncEnumerator(cancellationToken);
            any = await lines.MoveNextAsync();
        }
        catch (Exception ex) when (ex is KeyNotFoundException or Agents.DockerEngineException or Agents.AgentUnreachableException)
        {
            var status = ex is KeyNotFoundException || ex is Agents.DockerEngineException { StatusCode: System.Net.HttpStatusCode.NotFound } ? 404 : 502;
            await Results.Problem(statusCode: status, title: "Cannot read the logs", detail: ex.Message).ExecuteAsync(context);
            return;
        }

        await using (lines)
        {
            var safeName = new string(id.Where(char.IsAsciiLetterOrDigit).Take(64).ToArray());
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{host}-{safeName}.log\"";
            await using var writer = new StreamWriter(context.Response.Body, new UTF8Encoding(false), 64 * 1024);
            while (any)
            {
                var line = lines.Current;
                if (timestamps)
                {
                    await writer.WriteAsync(line.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));
                    await writer.WriteAsync(' ');
                }

                await writer.WriteLineAsync(line.Text);
                any = await lines.MoveNextAsync();
            }
        }
    }
}
