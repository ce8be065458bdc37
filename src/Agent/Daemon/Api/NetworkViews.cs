using System.Globalization;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>The Docker Engine API's JSON shapes for networks and for the networking parts of a container.</summary>
public static class NetworkViews
{
    private static string Rfc3339(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    /// <summary>GET /networks/{id} (and each entry of GET /networks).</summary>
    public static object Network(NetworkRecord n) => new
    {
        n.Name,
        n.Id,
        Created = Rfc3339(n.Created),
        Scope = "local",
        n.Driver,
        EnableIPv4 = true,
        EnableIPv6 = false,
        IPAM = new
        {
            Driver = "default",
            Options = (object?)null,
            Config = n.Subnet.Length > 0
                ? new[] { IpamConfig(n) }
                : [],
        },
        n.Internal,
        Attachable = false,
        Ingress = false,
        ConfigFrom = new { Network = "" },
        ConfigOnly = false,
        Containers = n.Endpoints.ToDictionary(e => e.Key, e => new
        {
            Name = e.Value.ContainerName,
            EndpointID = e.Value.EndpointId,
            e.Value.MacAddress,
            IPv4Address = $"{e.Value.Address}/{n.PrefixLength}",
            IPv6Address = "",
        }),
        Options = n.Builtin && n.IsBridge ? new Dictionary<string, string>(n.Options) { [NetworkManager.BridgeNameOption] = n.BridgeName } : n.Options,
        n.Labels,
    };

    private static Dictionary<string, string> IpamConfig(NetworkRecord n)
    {
        var config = new Dictionary<string, string> { ["Subnet"] = n.Subnet, ["Gateway"] = n.Gateway };
        if (n.IpRange.Length > 0)
            config["IPRange"] = n.IpRange;
        return config;
    }

    /// <summary>The networks a container is attached to, by name: with its endpoint while it runs, empty fields when not.</summary>
    private static Dictionary<string, object> Networks(ContainerModel c, NetworkManager network)
    {
        var result = new Dictionary<string, object>();
        var endpoints = network.EndpointsOf(c.Id).ToDictionary(x => x.Network.Id);
        var mode = c.HostConfig.NetworkMode ?? "";
        IEnumerable<(string Id, EndpointConfig Config)> attached = c.Networks.Select(kv => (kv.Key, kv.Value));
        if (c.Networks.Count == 0 && network.Find(mode) is { IsBridge: false } special)
            attached = [(special.Id, new EndpointConfig())];
        foreach (var (id, config) in attached)
        {
            var n = network.Find(id);
            var has = endpoints.TryGetValue(id, out var ep);
            var dnsNames = n is { HasEmbeddedDns: true } ? new List<string> { c.Name, c.Id[..12] }.Concat(config.Aliases ?? []).Distinct().ToList() : null;
            result[n?.Name ?? id] = new
            {
                IPAMConfig = config.IPAMConfig,
                Links = (object?)null,
                Aliases = config.Aliases,
                MacAddress = has ? ep.Endpoint.MacAddress : "",
                DriverOpts = (object?)null,
                NetworkID = id,
                EndpointID = has ? ep.Endpoint.EndpointId : "",
                Gateway = has ? ep.Network.Gateway : "",
                IPAddress = has ? ep.Endpoint.Address : "",
                IPPrefixLen = has ? ep.Network.PrefixLength : 0,
                IPv6Gateway = "",
                GlobalIPv6Address = "",
                GlobalIPv6PrefixLen = 0,
                DNSNames = dnsNames,
            };
        }
        return result;
    }

    /// <summary>Inspect's NetworkSettings; the top-level address fields describe the default bridge only, as dockerd's.</summary>
    public static object Settings(ContainerModel c, NetworkManager network)
    {
        var published = c.State.IsActive ? network.PortsOf(c.Id) : [];
        // one snapshot: the container's exit may release its endpoints between two lookups (inspect then answered 500)
        var bridge = network.EndpointsOf(c.Id).FirstOrDefault(x => x.Network is { Builtin: true, IsBridge: true });
        var onBridge = bridge.Network is not null;
        return new
        {
            Bridge = "",
            SandboxID = c.State.IsActive ? c.Id : "",
            SandboxKey = c.State.IsActive && c.State.Pid > 0 && c.HostConfig.NetworkMode != "host" ? $"/proc/{c.State.Pid}/ns/net" : "",
            Ports = PortPublishing.PortMap((c.Config.ExposedPorts ?? []).Keys, published),
            IPAddress = onBridge ? bridge.Endpoint!.Address : "",
            IPPrefixLen = onBridge ? bridge.Network!.PrefixLength : 0,
            Gateway = onBridge ? bridge.Network!.Gateway : "",
            MacAddress = onBridge ? bridge.Endpoint!.MacAddress : "",
            GlobalIPv6Address = "",
            GlobalIPv6PrefixLen = 0,
            IPv6Gateway = "",
            Networks = Networks(c, network),
        };
    }

    /// <summary>GET /containers/json's Ports (what `docker ps` prints as 0.0.0.0:8080->80/tcp) and NetworkSettings.</summary>
    public static void AddToSummary(Dictionary<string, object?> summary, ContainerModel c, NetworkManager network)
    {
        var published = c.State.IsActive ? network.PortsOf(c.Id) : [];
        var ports = published.Select(p => (object)new { IP = p.HostIp, PrivatePort = p.ContainerPort, PublicPort = p.HostPort, Type = p.Protocol }).ToList();
        foreach (var key in (c.Config.ExposedPorts ?? []).Keys)
        {
            var (proto, port) = PortPublishing.ParsePortKey(key);
            if (!published.Any(p => p.ContainerPort == port && p.Protocol == proto))
                ports.Add(new { PrivatePort = port, Type = proto });
        }
        summary["Ports"] = ports;
        summary["HostConfig"] = new { NetworkMode = c.HostConfig.NetworkMode ?? "bridge" };
        summary["NetworkSettings"] = new { Networks = Networks(c, network) };
    }
}
