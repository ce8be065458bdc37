using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ContainerConsole.Agent.Engine;

/// <summary>POST /networks/create's body (Docker's NetworkCreateRequest, the fields a bridge network has).</summary>
public sealed class NetworkCreateRequest
{
    public string? Name { get; set; }
    public string? Driver { get; set; }
    public bool Internal { get; set; }
    public bool EnableIPv6 { get; set; }
    public bool Attachable { get; set; }
    public NetworkIpamRequest? IPAM { get; set; }
    public Dictionary<string, string>? Options { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
}

public sealed class NetworkIpamRequest
{
    public string? Driver { get; set; }
    public List<NetworkIpamConfig>? Config { get; set; }
}

public sealed class NetworkIpamConfig
{
    public string? Subnet { get; set; }
    public string? IPRange { get; set; }
    public string? Gateway { get; set; }
}

/// <summary>Creating, removing and pruning user-defined networks.</summary>
public sealed partial class NetworkManager
{
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();

    public NetworkRecord Create(NetworkCreateRequest req)
    {
        var name = req.Name ?? "";
        if (!NamePattern().IsMatch(name))
            throw EngineException.BadRequest($"invalid network name \"{name}\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (req.Driver is not (null or "" or "bridge"))
            throw EngineException.BadRequest($"network driver \"{req.Driver}\" is not supported by this agent: only bridge networks can be created");
        if (req.EnableIPv6)
            throw EngineException.BadRequest("IPv6 networks (--ipv6) are not supported by this agent yet");
        if (req.IPAM?.Driver is not (null or "" or "default"))
            throw EngineException.BadRequest($"IPAM driver \"{req.IPAM.Driver}\" is not supported: only the default one");
        if (req.IPAM?.Config is { Count: > 1 })
            throw EngineException.BadRequest("only one IPv4 subnet per network is supported");
        var n = new NetworkRecord
        {
            Id = NewId(), Name = name, Created = DateTime.UtcNow, Internal = req.Internal,
            Labels = req.Labels ?? [], Options = req.Options ?? [],
        };
        n.BridgeName = n.Options.GetValueOrDefault(BridgeNameOption) ?? "cc-" + n.Id[..12];
        if (n.BridgeName.Length is 0 or > 15 || Encoding.UTF8.GetByteCount(n.BridgeName) > 15 || n.BridgeName.Contains('/') || n.BridgeName.Any(char.IsWhiteSpace))
            throw EngineException.BadRequest($"invalid bridge name \"{n.BridgeName}\": at most 15 bytes, no '/' or spaces");
        if (req.IPAM?.Config is [var ipam])
            ApplyIpamConfig(n, ipam);
        lock (_lock)
        {
            if (_networks.Values.Any(x => x.Name == name))
                throw EngineException.Conflict($"network with name {name} already exists");
            if (_networks.Values.Any(x => x.BridgeName == n.BridgeName))
                throw EngineException.Conflict($"bridge name {n.BridgeName} is already used by another network");
            if (n.Subnet.Length > 0 && _networks.Values.FirstOrDefault(x => x.Subnet.Length > 0 && SubnetPool.Overlaps(IPNetwork.Parse(x.Subnet), IPNetwork.Parse(n.Subnet))) is { } other)
                throw new EngineException(403, $"invalid pool request: Pool overlaps with other one on this address space ({other.Name})");
            _networks[n.Id] = n;
        }
        try
        {
            DeclareBridge(n); // chooses the subnet when none was asked for, saves the record
        }
        catch (Exception e)
        {
            lock (_lock)
                _networks.Remove(n.Id);
            store.Delete(n);
            TryRemoveBridge(n);
            if (e is EngineException)
                throw;
            throw new EngineException(500, $"failed to create network {name}: {e.Message}");
        }
        Publish(n, "create");
        return n;
    }

    private static void ApplyIpamConfig(NetworkRecord n, NetworkIpamConfig ipam)
    {
        if (string.IsNullOrEmpty(ipam.Subnet))
        {
            if (!string.IsNullOrEmpty(ipam.Gateway) || !string.IsNullOrEmpty(ipam.IPRange))
                throw EngineException.BadRequest("a gateway or ip-range needs a subnet (--subnet)");
            return;
        }
        var (address, prefix) = ParseCidr(ipam.Subnet, "subnet");
        var subnet = new IPNetwork(Ipam.FromUInt(Ipam.ToUInt(address) & Mask(prefix)), prefix);
        n.Subnet = subnet.ToString();
        if (!string.IsNullOrEmpty(ipam.IPRange))
        {
            var (rangeAddress, rangePrefix) = ParseCidr(ipam.IPRange, "ip-range");
            var range = new IPNetwork(Ipam.FromUInt(Ipam.ToUInt(rangeAddress) & Mask(rangePrefix)), rangePrefix);
            if (rangePrefix < prefix || !subnet.Contains(range.BaseAddress))
                throw EngineException.BadRequest($"ip-range {ipam.IPRange} is not inside subnet {ipam.Subnet}");
            n.IpRange = range.ToString();
        }
        if (string.IsNullOrEmpty(ipam.Gateway))
            n.Gateway = Ipam.FirstHost(subnet).ToString();
        else if (IPAddress.TryParse(ipam.Gateway, out var gw) && subnet.Contains(gw))
            n.Gateway = gw.ToString();
        else
            throw EngineException.BadRequest($"gateway {ipam.Gateway} is not an address in subnet {n.Subnet}");
    }

    private void TryRemoveBridge(NetworkRecord n)
    {
        try
        {
            host.RemoveBridge(n.BridgeName);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.LogWarning("removing bridge {Bridge}: {Message}", n.BridgeName, e.Message);
        }
    }

    /// <summary>docker network rm: refused for the built-in networks and while containers are connected.</summary>
    public async Task RemoveAsync(string idOrName)
    {
        var n = Get(idOrName);
        if (n.Builtin)
            throw new EngineException(403, $"{n.Name} is a pre-defined network and cannot be removed");
        lock (_lock)
        {
            if (n.Endpoints.Count > 0)
                throw new EngineException(403, $"error while removing network: network {n.Name} id {n.Id} has active endpoints");
            _networks.Remove(n.Id);
            store.Delete(n);
        }
        await StopDnsAsync(n.Id);
        host.RemoveBridge(n.BridgeName);
        Publish(n, "destroy");
    }

    /// <summary>docker network prune: user-defined networks without endpoints (filters until and label).</summary>
    public async Task<List<string>> PruneAsync(Func<NetworkRecord, bool> matches)
    {
        var removed = new List<string>();
        foreach (var n in All.Where(n => !n.Builtin && n.Endpoints.Count == 0 && matches(n)))
        {
            try
            {
                await RemoveAsync(n.Id);
                removed.Add(n.Name);
            }
            catch (EngineException e)
            {
                log.LogWarning("prune: network {Name} not removed: {Message}", n.Name, e.Message);
            }
        }
        return removed;
    }
}
