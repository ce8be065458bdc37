using ContainerConsole.Server.Agents;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.Hosts;

/// <summary>Lists the containers of every agent (or one), all agents at once.</summary>
public sealed class ContainersService(AgentRegistry agents, ILogger<ContainersService> logger) : IContainersService
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoFilters = new Dictionary<string, IReadOnlyList<string>>();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<List<DockerContainer>>>> _inFlight = new();

    public Task<ContainerList> GetContainersAsync(string? host, CancellationToken cancellationToken) =>
        GetContainersAsync(host, NoFilters, cancellationToken);

    /// <param name="host">Only this host, or all.</param>
    /// <param name="filters">Docker's container filters (status, label, ancestor, name), applied by each agent.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    public async Task<ContainerList> GetContainersAsync(string? host, IReadOnlyDictionary<string, IReadOnlyList<string>> filters, CancellationToken cancellationToken)
    {
        IEnumerable<AgentHost> targets = agents.Hosts;
        if (host is not null)
        {
            targets = [agents.Find(host) ?? throw new KeyNotFoundException($"No host is named '{host}'.")];
        }

        var results = await Task.WhenAll(targets.Select(h => ListAsync(h, filters, cancellationToken)));
        return new ContainerList(
            results.SelectMany(r => r.Containers).ToList(),
            results.Where(r => r.Error is not null).Select(r => r.Error!).ToList());
    }

    /// <summary>
    /// Callers asking the same host the same question while an answer is on its way share that answer: under many
    /// concurrent clients the agent sees one list call at a time per question, not one per request. Nothing is kept
    /// once the call ends, so no answer is older than the request that waits for it. The shared call is bounded by the
    /// agent timeout, not by one caller's cancellation.
    /// </summary>
    private Task<List<DockerContainer>> ListSharedAsync(AgentHost host, IReadOnlyDictionary<string, IReadOnlyList<string>> filters)
    {
        var key = host.Id + "?" + string.Join('&', filters.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + string.Join(',', f.Value)));
        Lazy<Task<List<DockerContainer>>>? created = null;
        created = new Lazy<Task<List<DockerContainer>>>(async () =>
        {
            try
            {
                return await host.Client.ListContainersAsync(filters, CancellationToken.None);
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<List<DockerContainer>>>>(key, created!));
            }
        });
        var shared = _inFlight.GetOrAdd(key, created);
        return shared.Value;
    }

    /// <summary>Where a browser reaches the host's published ports: the agent's TCP address, or this machine for a local socket.</summary>
    public static string BrowserAddress(AgentEndpoint endpoint) =>
        endpoint.Transport == AgentTransport.UnixSocket || !Uri.TryCreate(endpoint.Address, UriKind.Absolute, out var uri)
            ? "localhost"
            : uri.Host;

    private async Task<(IReadOnlyList<ContainerSummary> Containers, HostError? Error)> ListAsync(AgentHost host, IReadOnlyDictionary<string, IReadOnlyList<string>> filters, CancellationToken cancellationToken)
    {
        try
        {
            var containers = await ListSharedAsync(host, filters).WaitAsync(cancellationToken);
            var address = BrowserAddress(host.Endpoint);
            return (containers.Select(c => new ContainerSummary(
                host.Name, c.Id, c.Names, c.Image, c.State, c.Status, c.Created, c.Command,
                c.Ports?.Select(p => new PortMapping(p.Ip, p.PrivatePort, p.PublicPort, p.Type)).ToList() ?? [],
                c.Labels ?? [], address, c.ImageId)).ToList(), null);
        }
        catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
        {
            logger.LogDebug(ex, "Cannot list the containers of {Host}", host.Name);
            return ([], new HostError(host.Name, ex.Message));
        }
    }
}
