using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace ContainerConsole.Networking.Netlink;

/// <summary>A link as a dump reports it. <paramref name="PeerInOtherNetns"/>: IFLA_LINK_NETNSID is present, so the
/// peer (of a veth) lives in another namespace.</summary>
internal sealed record LinkInfo(int Index, string Name, string? Kind, int? PeerIndex, bool PeerInOtherNetns);

/// <summary>An IPv4 route: its destination and routing table.</summary>
internal sealed record RouteInfo(IPNetwork Destination, uint Table, byte Type);

/// <summary>rtnetlink operations (links, addresses, routes) over one socket, in that socket's namespace.</summary>
internal sealed class RouteNetlink(NetlinkSocket socket) : IDisposable
{
    // <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>, <linux/veth.h>
    internal const ushort RtmNewLink = 16, RtmDelLink = 17, RtmGetLink = 18, RtmSetLink = 19, RtmNewAddr = 20, RtmNewRoute = 24, RtmGetRoute = 26;
    internal const ushort Request = 0x1, Ack = 0x4, Replace = 0x100, Excl = 0x200, Create = 0x400, DumpFlag = 0x300;
    internal const ushort IflaAddress = 1, IflaIfname = 3, IflaMtu = 4, IflaLink = 5, IflaMaster = 10, IflaLinkinfo = 18,
        IflaProtinfo = 12, IflaNetNsFd = 28, IflaLinkNetnsid = 37;
    internal const ushort IflaBrportMode = 4; // hairpin
    internal const byte AfBridge = 7;
    internal const ushort IflaInfoKind = 1, IflaInfoData = 2, VethInfoPeer = 1;
    internal const ushort IfaAddress = 1, IfaLocal = 2;
    internal const ushort RtaDst = 1, RtaOif = 4, RtaGateway = 5, RtaTable = 15;
    internal const ushort NlaNested = 0x8000;
    internal const uint IffUp = 1;
    internal const byte RtTableMain = 254, RtprotBoot = 3, RtScopeUniverse = 0, RtnUnicast = 1;
    private const int Enodev = 19, Eexist = 17;

    public static RouteNetlink Open() => new(NetlinkSocket.Open());

    public void Dispose() => socket.Dispose();

    // ---- messages (pure, unit-tested byte for byte) ----

    internal static NetlinkMessageBuilder CreateLinkMessage(string name, string kind, int mtu)
    {
        var m = new NetlinkMessageBuilder(RtmNewLink, Request | Ack | Create | Excl).IfInfo()
            .Attribute(IflaIfname, name).Attribute(IflaMtu, (uint)mtu);
        var info = m.BeginNested(IflaLinkinfo | NlaNested);
        m.Attribute(IflaInfoKind, kind);
        return m.EndNested(info);
    }

    /// <summary>
    /// A veth pair: the peer's settings are a whole ifinfomsg plus attributes inside VETH_INFO_PEER. With
    /// <paramref name="peer"/> the peer is made inside that namespace under its final name and MAC, and this end is
    /// enslaved and up, all in this one request: moving a made link into a namespace waits for an RCU grace period
    /// (synchronize_net), and every further request is a round trip.
    /// </summary>
    internal static NetlinkMessageBuilder CreateVethMessage(string name, string peerName, int mtu, VethPeerPlacement? peer = null)
    {
        var m = new NetlinkMessageBuilder(RtmNewLink, Request | Ack | Create | Excl).IfInfo(0, peer is null ? 0 : IffUp, peer is null ? 0 : IffUp)
            .Attribute(IflaIfname, name).Attribute(IflaMtu, (uint)mtu);
        if (peer is not null)
            m.Attribute(IflaMaster, (uint)peer.MasterIndex);
        var info = m.BeginNested(IflaLinkinfo | NlaNested);
        m.Attribute(IflaInfoKind, "veth");
        var data = m.BeginNested(IflaInfoData | NlaNested);
        var peerInfo = m.BeginNested(VethInfoPeer); // not NLA_F_NESTED: its payload starts with an ifinfomsg, not attributes
        m.IfInfo().Attribute(IflaIfname, peerName).Attribute(IflaMtu, (uint)mtu);
        if (peer is not null)
            m.Attribute(IflaAddress, peer.Mac.GetAddressBytes()).Attribute(IflaNetNsFd, (uint)peer.NetnsFd);
        m.EndNested(peerInfo);
        m.EndNested(data);
        return m.EndNested(info);
    }

    internal static NetlinkMessageBuilder AddAddressMessage(int index, IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        return new NetlinkMessageBuilder(RtmNewAddr, Request | Ack | Create | Replace)
            .IfAddr((byte)AddressFamily.InterNetwork, (byte)prefixLength, RtScopeUniverse, index)
            .Attribute(IfaLocal, bytes).Attribute(IfaAddress, bytes);
    }

    internal static NetlinkMessageBuilder DefaultRouteMessage(IPAddress gateway, int index) =>
        new NetlinkMessageBuilder(RtmNewRoute, Request | Ack | Create | Replace)
            .Rt((byte)AddressFamily.InterNetwork, 0, RtTableMain, RtprotBoot, RtScopeUniverse, RtnUnicast)
            .Attribute(RtaGateway, gateway.GetAddressBytes()).Attribute(RtaOif, (uint)index);

    // ---- operations ----

    public void CreateBridge(string name, int mtu) =>
        socket.Execute(CreateLinkMessage(name, "bridge", mtu), $"creating bridge {name}");

    public void CreateVeth(string name, string peerName, int mtu, VethPeerPlacement? peer = null) =>
        socket.Execute(CreateVethMessage(name, peerName, mtu, peer), $"creating veth {name}");

    /// <summary>The link's index, or null when no link has that name.</summary>
    public int? LinkIndex(string name) => Link(name)?.Index;

    /// <summary>The link with that name, or null when there is none.</summary>
    public LinkInfo? Link(string name)
    {
        try
        {
            var reply = socket.Query(new NetlinkMessageBuilder(RtmGetLink, Request).IfInfo().Attribute(IflaIfname, name),
                $"looking up link {name}");
            return ParseLink(reply);
        }
        catch (NetlinkException e) when (e.Errno == Enodev)
        {
            return null;
        }
    }

    /// <summary>Changes a link: rename, MTU, MAC, bridge master, up. Only the given fields are sent.</summary>
    public void SetLink(int index, string description, string? newName = null, int? mtu = null, PhysicalAddress? mac = null,
        int? masterIndex = null, bool up = false)
    {
        var m = new NetlinkMessageBuilder(RtmNewLink, Request | Ack).IfInfo(index, up ? IffUp : 0, up ? IffUp : 0);
        if (newName is not null)
            m.Attribute(IflaIfname, newName);
        if (mtu is not null)
            m.Attribute(IflaMtu, (uint)mtu.Value);
        if (mac is not null)
            m.Attribute(IflaAddress, mac.GetAddressBytes());
        if (masterIndex is not null)
            m.Attribute(IflaMaster, (uint)masterIndex.Value);
        socket.Execute(m, $"configuring link {description}");
    }

    /// <summary>
    /// Lets the bridge send a frame back out the port it came from. Needed for hairpin NAT: with br_netfilter a
    /// container's packet to its own published port is DNATed at the bridge and bridged back to the same port.
    /// </summary>
    public void SetHairpin(int index, string description)
    {
        var m = new NetlinkMessageBuilder(RtmSetLink, Request | Ack).IfInfo(index, family: AfBridge);
        var protinfo = m.BeginNested(IflaProtinfo | NlaNested);
        m.Attribute(IflaBrportMode, [1]);
        socket.Execute(m.EndNested(protinfo), $"turning on hairpin mode of {description}");
    }

    /// <summary>Deletes a link by name; false when there is none.</summary>
    public bool DeleteLink(string name)
    {
        try
        {
            socket.Execute(new NetlinkMessageBuilder(RtmDelLink, Request | Ack).IfInfo().Attribute(IflaIfname, name),
                $"deleting link {name}");
            return true;
        }
        catch (NetlinkException e) when (e.Errno == Enodev)
        {
            return false;
        }
    }

    public List<LinkInfo> Links() =>
        socket.Dump(() => new NetlinkMessageBuilder(RtmGetLink, Request | DumpFlag).IfInfo(), "listing links")
            .Where(m => m.Type == RtmNewLink).Select(ParseLink).OfType<LinkInfo>().ToList();

    public void AddAddress(int index, IPAddress address, int prefixLength, string description)
    {
        try
        {
            socket.Execute(AddAddressMessage(index, address, prefixLength), $"adding address {address}/{prefixLength} to {description}");
        }
        catch (NetlinkException e) when (e.Errno == Eexist)
        {
            // Already there (NLM_F_REPLACE does not cover every case): the state asked for holds.
        }
    }

    public void AddDefaultRoute(IPAddress gateway, int index, string description) =>
        socket.Execute(DefaultRouteMessage(gateway, index), $"adding default route via {gateway} on {description}");

    public List<RouteInfo> Ipv4Routes() =>
        socket.Dump(() => new NetlinkMessageBuilder(RtmGetRoute, Request | DumpFlag).Rt((byte)AddressFamily.InterNetwork),
                "listing IPv4 routes")
            .Where(m => m.Type == RtmNewRoute).Select(ParseRoute).OfType<RouteInfo>().ToList();

    internal static LinkInfo? ParseLink(NetlinkMessage message)
    {
        if (message.Payload.Length < 16)
            return null;
        var index = NetlinkMessage.Read<int>(message.Payload.AsSpan(4));
        var attributes = NetlinkAttributes.Parse(message.Payload.AsSpan(16));
        if (!attributes.TryGetValue(IflaIfname, out var name))
            return null;
        string? kind = null;
        if (attributes.TryGetValue(IflaLinkinfo, out var linkInfo) &&
            NetlinkAttributes.Parse(linkInfo).TryGetValue(IflaInfoKind, out var kindBytes))
            kind = NetlinkAttributes.String(kindBytes);
        int? peer = attributes.TryGetValue(IflaLink, out var link) ? (int)NetlinkAttributes.UInt32(link) : null;
        return new LinkInfo(index, NetlinkAttributes.String(name), kind, peer, attributes.ContainsKey(IflaLinkNetnsid));
    }

    internal static RouteInfo? ParseRoute(NetlinkMessage message)
    {
        if (message.Payload.Length < 12 || message.Payload[0] != (byte)AddressFamily.InterNetwork)
            return null;
        var dstLength = message.Payload[1];
        var attributes = NetlinkAttributes.Parse(message.Payload.AsSpan(12));
        var table = attributes.TryGetValue(RtaTable, out var t) ? NetlinkAttributes.UInt32(t) : message.Payload[4];
        var destination = attributes.TryGetValue(RtaDst, out var dst) && dst.Length == 4 ? new IPAddress(dst) : IPAddress.Any;
        return new RouteInfo(new IPNetwork(destination, dstLength), table, message.Payload[7]);
    }
}

/// <summary>Where a new veth's peer goes (a namespace, by an open descriptor of it) and what it is; the host end's bridge.</summary>
public sealed record VethPeerPlacement(int NetnsFd, System.Net.NetworkInformation.PhysicalAddress Mac, int MasterIndex);
