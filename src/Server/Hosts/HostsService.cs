using ContainerConsole.Server.Agents;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.Hosts;

/// <summary>Asks every agent for <c>/_ping</c> and <c>/version</c>, all agents at once.</summary>
public sealed class HostsService(AgentRegistry agents, TimeProvider time, ILogger<HostsService> logger) : IHostsService
{
    public async Task<IReadOnlyList<HostStatus>> GetHostsAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(agents.Hosts.Select(host => CheckAsync(host, cancellationToken)));

    public async Task<HostStatus> CheckAsync(AgentHost host, CancellationToken cancellationToken)
    {
        try
        {
            var ping = await host.Client.PingAsync(cancellationToken);
            if (!ping.Ok)
            {
                return Status(host, HostState.Unhealthy, null, "GET /_ping did not answer OK");
            }

            var version = await host.Client.GetVersionAsync(cancellationToken);
            return Status(host, HostState.Healthy, new EngineVersionInfo(
                version.Version,
                string.IsNullOrEmpty(version.ApiVersion) ? ping.ApiVersion ?? "" : version.ApiVersion,
                version.MinApiVersion,
                version.Os,
                version.Arch,
                version.KernelVersion,
                version.GitCommit), null);
        }
        catch (AgentUnreachableException ex)
        {
            logger.LogDebug(ex, "Agent {Host} is unreachable", host.Name);
            return Status(host, HostState.Unreachable, null, ex.Message);
        }
        catch (DockerEngineException ex)
        {
            logger.LogWarning("Agent {Host} answered an error: {Error}", host.Name, ex.Message);
            return Status(host, HostState.Unhealthy, null, ex.Message);
        }
    }

    private HostStatus Status(AgentHost host, HostState state, EngineVersionInfo? version, string? error) =>
        new(host.Id, host.Name, host.Uri, host.Endpoint.Tls is not null, state, version, error, time.GetUtcNow());
}
