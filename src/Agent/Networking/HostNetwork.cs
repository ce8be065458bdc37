using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ContainerConsole.Networking.Netlink;
using ContainerConsole.Networking.Nft;
using Microsoft.Extensions.Logging;

namespace ContainerConsole.Networking;

/// <summary>
/// <see cref="IHostNetwork"/> on the real kernel: rtnetlink for links, addresses and routes (no <c>ip</c> processes),
/// /proc/sys for forwarding, and libnftables for the agent's own table <c>ip {tableName}</c>, which it deletes when
/// its last bridge goes so a host without agent networks carries no agent rules.
/// </summary>
public sealed class HostNetwork : IHostNetwork, IDisposable
{
    /// <summary>Host ends are "ccv" + agent tag + random, their peers "ccp" + the same until they reach the container.</summary>
    internal const string HostEndPrefix = "ccv", PeerPrefix = "ccp";

    private readonly ILogger _logger;
    private readonly NftTable _table;
    private readonly NetnsSocketFactory _netns = new();
    private readonly Sysctl _sysctl;
    private readonly Lock _tableLock = new();
    // Attach's create-then-move window against the sweep of pairs whose peer is still here.
    private readonly Lock _pairLock = new();

    public HostNetwork(string tableName, ILogger logger) : this(tableName, logger, new Sysctl()) { }

    internal HostNetwork(string tableName, ILogger logger, Sysctl sysctl)
    {
        NftRuleset.ValidateName("netfilter table name", tableName, 64);
        _logger = logger;
        _sysctl = sysctl;
        _table = new NftTable(tableName);
        // Agents sharing a host (tests run several) sweep only their own pairs: 4 hex digits of the table name.
        AgentTag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tableName)))[..4];
    }

    /// <summary>Part of every veth name this agent makes (IFNAMSIZ leaves 15 bytes: 3 prefix + 4 tag + 8 random).</summary>
    internal string AgentTag { get; }

    public void EnsureBridge(BridgeSettings bridge)
    {
        NftRuleset.ValidateName("bridge name", bridge.Name, 15);
        if (bridge.Subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork || !bridge.Subnet.Contains(bridge.Gateway))
            throw new ArgumentException($"bridge {bridge.Name}: gateway {bridge.Gateway} must be an IPv4 address in {bridge.Subnet}");
        using (var rtnl = RouteNetlink.Open())
        {
            var link = rtnl.Link(bridge.Name);
            if (link is null)
            {
                rtnl.CreateBridge(bridge.Name, bridge.Mtu);
                link = rtnl.Link(bridge.Name) ?? throw new InvalidOperationException($"bridge {bridge.Name} vanished after creation");
                _logger.LogInformation("Created bridge {Bridge}", bridge.Name);
            }
            else if (link.Kind != "bridge")
                throw new InvalidOperationException($"link {bridge.Name} exists and is not a bridge ({link.Kind ?? "no kind"})");
            rtnl.SetLink(link.Index, bridge.Name, mtu: bridge.Mtu, up: true);
            rtnl.AddAddress(link.Index, bridge.Gateway, bridge.Subnet.PrefixLength, bridge.Name);
        }
        _sysctl.Set("1", "net", "ipv4", "ip_forward");
        // Lets the output-hook DNAT send 127.0.0.1-sourced packets out the bridge (then masqueraded), so published
        // ports answer on localhost without a userland proxy.
        _sysctl.Set("1", "net", "ipv4", "conf", bridge.Name, "route_localnet");
        lock (_tableLock)
        {
            var state = _table.Read();
            var subnet = $"{bridge.Subnet.BaseAddress}/{bridge.Subnet.PrefixLength}";
            // A bridge declared again with another subnet: drop the old subnet's jump in the same transaction.
            var stale = state.SubnetJumps.Where(j => j.Target == $"post_from_{bridge.Name}" && j.Subnet != subnet)
                .Select(j => $"delete element ip {_table.Name} post_from_subnet {{ {j.Subnet} }}\n");
            _table.Apply(string.Concat(stale) + NftRuleset.Bridge(_table.Name, bridge));
        }
    }

    public void RemoveBridge(string name)
    {
        NftRuleset.ValidateName("bridge name", name, 15);
        lock (_tableLock)
        {
            var state = _table.Read();
            if (state.Exists && (state.Bridges.Count == 0 || state.Bridges.SetEquals([name])))
                _table.Delete();
            else if (state.Bridges.Contains(name))
                _table.Apply(NftRuleset.RemoveBridge(_table.Name, name,
                    state.SubnetJumps.Where(j => j.Target == $"post_from_{name}").Select(j => j.Subnet)));
        }
        using var rtnl = RouteNetlink.Open();
        var link = rtnl.Link(name);
        if (link is null)
            return;
        if (link.Kind != "bridge")
            throw new InvalidOperationException($"link {name} is not a bridge ({link.Kind ?? "no kind"}); not deleting it");
        rtnl.DeleteLink(name);
        _logger.LogInformation("Removed bridge {Bridge}", name);
    }

    public IReadOnlyList<IPNetwork> RoutedSubnets()
    {
        using var rtnl = RouteNetlink.Open();
        return rtnl.Ipv4Routes()
            .Where(r => r.Table == RouteNetlink.RtTableMain && r.Type == RouteNetlink.RtnUnicast && r.Destination.PrefixLength > 0)
            .Select(r => r.Destination).Distinct().ToList();
    }

    public string AttachEndpoint(EndpointSettings endpoint)
    {
        NftRuleset.ValidateName("interface name", endpoint.InterfaceName, 15);
        if (endpoint.Address.AddressFamily != AddressFamily.InterNetwork || endpoint.PrefixLength is < 1 or > 32)
            throw new ArgumentException($"endpoint address {endpoint.Address}/{endpoint.PrefixLength} is not a usable IPv4 address");
        using var host = RouteNetlink.Open();
        var bridge = host.Link(endpoint.BridgeName);
        if (bridge is not { Kind: "bridge" })
            throw new InvalidOperationException($"bridge {endpoint.BridgeName} does not exist");
        using var netns = NetnsSocketFactory.OpenNetns(endpoint.NetnsPath)
            ?? throw new InvalidOperationException($"network namespace {endpoint.NetnsPath} does not exist");
        using (var inside = _netns.Open(endpoint.NetnsPath) ?? throw new InvalidOperationException($"network namespace {endpoint.NetnsPath} does not exist"))
        {
            if (ExistingHostEnd(host, inside, endpoint.InterfaceName) is { } existing)
                return existing; // declared again (agent restart): already attached
        }

        var hostEnd = HostEndPrefix + AgentTag + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        try
        {
            lock (_pairLock)
            {
                // the peer is born in the container's namespace as eth0 (no move, no rename); this end on the bridge, up
                host.CreateVeth(hostEnd, endpoint.InterfaceName, endpoint.Mtu,
                    new VethPeerPlacement((int)netns.DangerousGetHandle(), endpoint.MacAddress, bridge.Index));
                var hostIndex = host.LinkIndex(hostEnd) ?? throw new InvalidOperationException($"veth {hostEnd} vanished after creation");
                host.SetHairpin(hostIndex, hostEnd);
            }
            using var inside = _netns.Open(endpoint.NetnsPath) ?? throw new InvalidOperationException($"network namespace {endpoint.NetnsPath} vanished");
            var name = $"{endpoint.InterfaceName} in {endpoint.NetnsPath}";
            var index = inside.LinkIndex(endpoint.InterfaceName) ?? throw new InvalidOperationException($"veth {name} missing after its creation");
            inside.AddAddress(index, endpoint.Address, endpoint.PrefixLength, name);
            inside.SetLink(index, name, up: true);
            if (endpoint.Gateway is not null)
                inside.AddDefaultRoute(endpoint.Gateway, index, name);
        }
        catch
        {
            // Deleting one end of a veth deletes both, wherever the peer went.
            host.DeleteLink(hostEnd);
            throw;
        }
        _logger.LogInformation("Attached {Interface} in {Netns} to {Bridge} through {HostEnd}", endpoint.InterfaceName,
            endpoint.NetnsPath, endpoint.BridgeName, hostEnd);
        return hostEnd;
    }

    /// <summary>The host end of an interface already in the namespace under that name, when it is one of our veths.</summary>
    private string? ExistingHostEnd(RouteNetlink host, RouteNetlink inside, string interfaceName)
    {
        var existing = inside.Link(interfaceName);
        if (existing is null)
            return null;
        var hostEnd = existing is { Kind: "veth", PeerIndex: { } peerIndex }
            ? host.Links().FirstOrDefault(l => l.Index == peerIndex && l.Name.StartsWith(HostEndPrefix + AgentTag, StringComparison.Ordinal))
            : null;
        return hostEnd?.Name ?? throw new InvalidOperationException($"interface {interfaceName} already exists in the namespace and is not this agent's");
    }

    public void DetachEndpoint(string netnsPath, string interfaceName)
    {
        using var inside = _netns.Open(netnsPath);
        if (inside is not null && inside.DeleteLink(interfaceName))
            _logger.LogInformation("Detached {Interface} in {Netns}", interfaceName, netnsPath);
    }

    public void SetPortForwards(string ownerId, IReadOnlyList<PortForward> forwards)
    {
        NftRuleset.ValidateOwner(ownerId);
        foreach (var forward in forwards)
            NftRuleset.Validate(forward);
        lock (_tableLock)
        {
            var state = _table.Read();
            if (!state.Exists && forwards.Count == 0)
                return;
            var commands = new StringBuilder(state.Exists ? "" : NftRuleset.Skeleton(_table.Name));
            foreach (var old in state.Forwards.Where(f => f.Owner == ownerId))
                commands.Append(NftRuleset.DeleteForward(_table.Name, old.Map, old.Key));
            foreach (var forward in forwards)
                commands.Append(NftRuleset.AddForward(_table.Name, ownerId, forward));
            if (commands.Length > 0)
                _table.Apply(commands.ToString());
        }
    }

    public void RemovePortForwards(string ownerId) => SetPortForwards(ownerId, []);

    public void SweepStaleEndpoints()
    {
        using var rtnl = RouteNetlink.Open();
        lock (_pairLock)
        {
            foreach (var link in rtnl.Links())
            {
                var ours = link.Name.StartsWith(HostEndPrefix + AgentTag, StringComparison.Ordinal) ||
                           link.Name.StartsWith(PeerPrefix + AgentTag, StringComparison.Ordinal);
                // A peer in a container shows IFLA_LINK_NETNSID; without it both ends are still here. (Peers are born in
                // the container's namespace now; ccp pairs are what agents that moved them there left behind.)
                if (ours && link.Kind == "veth" && !link.PeerInOtherNetns && rtnl.DeleteLink(link.Name))
                    _logger.LogInformation("Deleted stale veth {Link}", link.Name);
            }
        }
    }

    public void Dispose()
    {
        _table.Dispose();
        _netns.Dispose();
    }
}
