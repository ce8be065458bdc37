using ContainerConsole.Server.Hosting;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Agents;

/// <summary>A configured agent and its client.</summary>
public sealed record AgentHost(AgentEndpoint Endpoint, DockerEngineClient Client)
{
    public string Name => Endpoint.Name;
}

/// <summary>
/// The agents given with <c>--agent</c>, each with one long-lived client (connections are pooled per agent).
/// The full server will keep hosts in its database; this registry is then filled from there.
/// </summary>
public sealed class AgentRegistry : IDisposable
{
    private readonly List<AgentHost> _hosts = [];

    public AgentRegistry(IOptions<ServerOptions> options)
    {
        var settings = options.Value;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spec in settings.Agents)
        {
            var endpoint = AgentEndpoint.Parse(spec);
            var name = endpoint.Name;
            for (var n = 2; !names.Add(name); n++)
            {
                name = $"{endpoint.Name}#{n}";
            }

            endpoint = endpoint with { Name = name };
            _hosts.Add(new AgentHost(endpoint, DockerEngineClient.Create(endpoint, settings.AgentTimeout)));
        }
    }

    public IReadOnlyList<AgentHost> Hosts => _hosts;

    public AgentHost? Find(string name) => _hosts.FirstOrDefault(h => h.Name == name);

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Client.Dispose();
        }
    }
}
