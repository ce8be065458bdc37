using Microsoft.AspNetCore.SignalR;
using ContainerConsole.Server.Metrics;

namespace ContainerConsole.Server.Hubs;

public static class LiveStreamsSetup
{
    /// <summary>SignalR hubs and their shared feeds, the metric sampler and rollup, and the figures /metrics exports.</summary>
    public static IServiceCollection AddLiveStreamsAndMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSignalR(hub =>
            {
                hub.AddFilter<HubConnectionCounter>();
                hub.AddFilter<HubRoleFilter>();
            })
            .AddHubOptions<ProgressHub>(hub => hub.MaximumReceiveMessageSize = ProgressHub.MaxMessageBytes); // upload chunks
        services.AddSingleton<HubConnectionCounter>();
        services.AddSingleton<LiveFeeds>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<IStartupFilter, RequestCounterStartupFilter>();
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.SectionName));
        services.AddSingleton<MetricSampler>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricSampler>());
        services.AddSingleton<MetricRollup>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricRollup>());
        return services;
    }

    /// <summary>The hubs under <c>/hubs/</c>, the metric history API and <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapLiveStreamsAndMetrics(this IEndpointRouteBuilder app)
    {
        app.MapHub<LogsHub>("/hubs/logs");
        app.MapHub<StatsHub>("/hubs/stats");
        app.MapHub<EventsHub>("/hubs/events");
        app.MapHub<ProgressHub>("/hubs/progress");
        app.MapHub<TerminalHub>("/hubs/terminal");
        app.MapMetricsApi();
        return app;
    }
}
