using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using ContainerConsole.Networking;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Docker's networking model on top of <see cref="IHostNetwork"/>: the networks (the built-in bridge, host and none and
/// user-defined bridges), their IPAM, the endpoints of running containers, published ports, name files and the embedded
/// DNS servers. Kernel state is declared again at agent start (IHostNetwork is idempotent); what belongs to containers
/// that stopped while the agent was away is released.
/// </summary>
public sealed partial class NetworkManager(AgentOptions options, NetworkStore store, IHostNetwork host, EventBus events, ILogger<NetworkManager> log)
    : IAsyncDisposable
{
    public const string DefaultBridge = "bridge";
    public const string BridgeNameOption = "com.docker.network.bridge.name";

    private readonly Dictionary<string, NetworkRecord> _networks = [];
    private readonly Dictionary<string, DnsServer> _dns = [];
    private readonly Lock _lock = new();

    /// <summary>A container's start: the endpoints it gets (addresses already reserved), its ports, the namespace it joins.</summary>
    public sealed record StartPlan(List<(NetworkRecord Network, EndpointRecord Endpoint)> Endpoints, List<PublishedPort> Ports, string? JoinNetns);

    /// <summary>Loads the networks, makes the built-in ones, declares every bridge again and sweeps stale veth ends.</summary>
    public void Initialize()
    {
        lock (_lock)
        {
            foreach (var n in store.LoadNetworks())
                _networks[n.Id] = n;
            foreach (var (name, driver) in new[] { (DefaultBridge, NetworkRecord.BridgeDriver), ("host", NetworkRecord.HostDriver), ("none", NetworkRecord.NullDriver) })
            {
                if (_networks.Values.Any(n => n.Name == name))
                    continue;
                var n = new NetworkRecord { Id = NewId(), Name = name, Driver = driver, Builtin = true, Created = DateTime.UtcNow };
                if (driver == NetworkRecord.BridgeDriver)
                    n.BridgeName = options.Bridge;
                _networks[n.Id] = n;
                if (driver != NetworkRecord.BridgeDriver)
                    store.Save(n); // the bridge is saved once it has a subnet
            }
            try
            {
                host.SweepStaleEndpoints();
                foreach (var n in _networks.Values.Where(n => n.IsBridge).OrderByDescending(n => n.Builtin))
                    DeclareBridge(n);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The agent still serves everything else; bridge-mode starts report the error.
                log.LogError("bridge networking is unavailable: {Message}", e.Message);
            }
        }
    }

    /// <summary>
    /// Creates (or declares again) a network's bridge. A network without a subnet gets one here, under the host-wide lock,
    /// chosen from the pool minus what the host routes and what other networks use, so two agents never pick the same.
    /// </summary>
    private void DeclareBridge(NetworkRecord n)
    {
        using (HostLock.Acquire(options.NetworkLockFile, TimeSpan.FromSeconds(30)))
        {
            if (n.Subnet.Length == 0)
            {
                if (n.Builtin && options.BridgeIp is { } bip)
                {
                    var (addr, prefix) = ParseCidr(bip, "--bip");
                    n.Subnet = new IPNetwork(Ipam.FromUInt(Ipam.ToUInt(addr) & Mask(prefix)), prefix).ToString();
                    n.Gateway = addr.ToString();
                }
                else
                {
                    var subnet = SubnetPool.Choose(host.RoutedSubnets().Concat(_networks.Values.Where(x => x.Subnet.Length > 0).Select(x => IPNetwork.Parse(x.Subnet))));
                    n.Subnet = subnet.ToString();
                    n.Gateway = Ipam.FirstHost(subnet).ToString();
                }
                store.Save(n);
            }
            host.EnsureBridge(Settings(n));
        }
        if (n.HasEmbeddedDns)
            StartDns(n);
    }

    private static BridgeSettings Settings(NetworkRecord n) =>
        new(n.BridgeName, IPNetwork.Parse(n.Subnet), IPAddress.Parse(n.Gateway), Masquerade: !n.Internal, Internal: n.Internal);

    private static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    private static (IPAddress Address, int Prefix) ParseCidr(string text, string what)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(text[(slash + 1)..], out var p) || p is < 1 or > 30)
            throw EngineException.BadRequest($"invalid {what} {text}: expected an IPv4 CIDR such as 10.1.0.0/16");
        return (a, p);
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public IReadOnlyList<NetworkRecord> All
    {
        get
        {
            lock (_lock)
                return [.. _networks.Values.OrderBy(n => n.Created)];
        }
    }

    /// <summary>By full id, exact name, or unique id prefix (dockerd's order).</summary>
    public NetworkRecord Get(string idOrName)
    {
        lock (_lock)
        {
            if (_networks.TryGetValue(idOrName, out var n))
                return n;
            var byName = _networks.Values.FirstOrDefault(x => x.Name == idOrName);
            if (byName is not null)
                return byName;
            var byPrefix = _networks.Values.Where(x => x.Id.StartsWith(idOrName, StringComparison.Ordinal)).ToList();
            return byPrefix.Count switch
            {
                1 => byPrefix[0],
                > 1 => throw EngineException.BadRequest($"network {idOrName} is ambiguous ({byPrefix.Count} matches found based on ID prefix)"),
                _ => throw new EngineException(404, $"network {idOrName} not found"),
            };
        }
    }

    public NetworkRecord? Find(string idOrName)
    {
        try
        {
            return Get(idOrName);
        }
        catch (EngineException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The default bridge's gateway: the host as containers see it (--add-host name:host-gateway).</summary>
    public IPAddress? HostGateway
    {
        get
        {
            var bridge = Find(DefaultBridge);
            return bridge is { Gateway.Length: > 0 } ? IPAddress.Parse(bridge.Gateway) : null;
        }
    }

    private void Publish(NetworkRecord n, string action, string? containerId = null)
    {
        var attributes = new Dictionary<string, string> { ["name"] = n.Name, ["type"] = n.Driver };
        if (containerId is not null)
            attributes["container"] = containerId;
        events.Publish("network", action, n.Id, attributes);
    }

    private void StartDns(NetworkRecord n)
    {
        lock (_lock)
        {
            if (_dns.ContainsKey(n.Id))
                return;
            var upstreams = NameFiles.Upstreams(File.Exists(options.HostResolvConf) ? File.ReadAllText(options.HostResolvConf) : "");
            try
            {
                _dns[n.Id] = new DnsServer(new IPEndPoint(IPAddress.Parse(n.Gateway), 53), name => Lookup(n.Id, name), upstreams, log);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                log.LogError("embedded DNS server of network {Name} on {Gateway}:53: {Message}", n.Name, n.Gateway, e.Message);
            }
        }
    }

    private async Task StopDnsAsync(string networkId)
    {
        DnsServer? server;
        lock (_lock)
        {
            if (!_dns.Remove(networkId, out server))
                return;
        }
        await server.DisposeAsync();
    }

    /// <summary>The network's answer for a name: its running containers by name, alias and short id.</summary>
    public IReadOnlyList<IPAddress>? Lookup(string networkId, string name)
    {
        lock (_lock)
        {
            if (!_networks.TryGetValue(networkId, out var n))
                return null;
            var matches = n.Endpoints.Values
                .Where(e => string.Equals(e.ContainerName, name, StringComparison.OrdinalIgnoreCase)
                            || e.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase))
                            || (name.Length == 12 && e.ContainerId.StartsWith(name, StringComparison.Ordinal)))
                .Select(e => IPAddress.Parse(e.Address))
                .ToList();
            return matches.Count > 0 ? matches : null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<string> ids;
        lock (_lock)
            ids = [.. _dns.Keys];
        foreach (var id in ids)
            await StopDnsAsync(id);
    }

    /// <summary>The container's endpoints, by network (for inspect and ps).</summary>
    public List<(NetworkRecord Network, EndpointRecord Endpoint)> EndpointsOf(string containerId)
    {
        lock (_lock)
            return [.. _networks.Values.Where(n => n.Endpoints.ContainsKey(containerId)).Select(n => (n, n.Endpoints[containerId]))];
    }

    public IReadOnlyList<PublishedPort> PortsOf(string containerId) => store.LoadSandbox(containerId)?.Ports ?? [];
}
