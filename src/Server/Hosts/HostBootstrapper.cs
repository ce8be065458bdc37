using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Infrastructure;

namespace ContainerConsole.Server.Hosts;

/// <summary>After the migration: registers the configured agents and loads the registry from the database.</summary>
internal sealed class HostBootstrapper(DatabaseMigrator database, AgentRegistry registry, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = configuration.GetSection($"{ServerOptions.SectionName}:{nameof(ServerOptions.Agents)}").GetChildren()
            .Any(a => !string.IsNullOrWhiteSpace(a.Value));
        await registry.SeedAsync(database.FirstStart, configured, cancellationToken);
        await registry.LoadAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
