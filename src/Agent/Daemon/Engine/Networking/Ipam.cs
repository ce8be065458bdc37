using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// IPv4 address management of one bridge network: the gateway and every running endpoint hold an address; a new
/// endpoint gets the lowest free one (within --ip-range when set) or the one it asked for (--ip).
/// </summary>
public static class Ipam
{
    public static uint ToUInt(IPAddress a) => BinaryPrimitives.ReadUInt32BigEndian(a.GetAddressBytes());

    public static IPAddress FromUInt(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return new IPAddress(b);
    }

    /// <summary>The first usable address (Docker's default gateway): network address + 1.</summary>
    public static IPAddress FirstHost(IPNetwork subnet) => FromUInt(ToUInt(subnet.BaseAddress) + 1);

    public static IPAddress Allocate(NetworkRecord network, string? requested)
    {
        var subnet = IPNetwork.Parse(network.Subnet);
        var used = new HashSet<uint>(network.Endpoints.Values.Select(e => ToUInt(IPAddress.Parse(e.Address))));
        if (network.Gateway.Length > 0)
            used.Add(ToUInt(IPAddress.Parse(network.Gateway)));
        var first = ToUInt(subnet.BaseAddress);
        var last = first + (uint)((1L << (32 - subnet.PrefixLength)) - 1);
        if (!string.IsNullOrEmpty(requested))
        {
            if (!IPAddress.TryParse(requested, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                throw EngineException.BadRequest($"invalid IPv4 address: {requested}");
            if (!subnet.Contains(ip) || ToUInt(ip) == first || ToUInt(ip) == last)
                throw EngineException.BadRequest($"no configured subnet or ip-range contain the IP address {requested}");
            if (used.Contains(ToUInt(ip)))
                throw EngineException.Conflict($"Address already in use: address {requested} already in use on network {network.Name}");
            return ip;
        }
        var range = network.IpRange.Length > 0 ? IPNetwork.Parse(network.IpRange) : subnet;
        var from = Math.Max(ToUInt(range.BaseAddress), first + 1);
        var to = Math.Min(ToUInt(range.BaseAddress) + (uint)((1L << (32 - range.PrefixLength)) - 1), last - 1); // not the broadcast address
        for (var v = from; v <= to && v >= from; v++)
        {
            if (!used.Contains(v))
                return FromUInt(v);
        }
        throw new EngineException(500, $"no available IPv4 addresses on network {network.Name}");
    }

    /// <summary>Docker's MAC for an address: 02:42 followed by the four address bytes (locally administered, unique per address).</summary>
    public static string MacFor(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return $"02:42:{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}";
    }
}

/// <summary>Docker's default address pools: 172.17.0.0/16 to 172.31.0.0/16, then 192.168.0.0/16 in /20s.</summary>
public static class SubnetPool
{
    public static IEnumerable<IPNetwork> Candidates()
    {
        for (var second = 17; second <= 31; second++)
            yield return new IPNetwork(IPAddress.Parse($"172.{second}.0.0"), 16);
        for (var third = 0; third < 256; third += 16)
            yield return new IPNetwork(IPAddress.Parse($"192.168.{third}.0"), 20);
    }

    /// <summary>The first candidate overlapping none of <paramref name="taken"/> (routed by the host or used by a network).</summary>
    public static IPNetwork Choose(IEnumerable<IPNetwork> taken)
    {
        var list = taken.ToList();
        foreach (var c in Candidates())
            if (!list.Any(t => Overlaps(t, c)))
                return c;
        throw new EngineException(403, "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
    }

    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);
}
