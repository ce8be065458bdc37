using System.Net;
using System.Net.NetworkInformation;

namespace ContainerConsole.Networking;

/// <summary>A Linux bridge the agent owns: one per bridge network (the default one and each user-defined one).</summary>
/// <param name="Name">The link name (at most 15 bytes, IFNAMSIZ).</param>
/// <param name="Subnet">The network's IPv4 subnet; the bridge gets <paramref name="Gateway"/> in it.</param>
/// <param name="Masquerade">Outbound NAT for traffic from the subnet leaving through another interface (Docker's ip-masquerade).</param>
/// <param name="Internal">No traffic to or from outside the bridge (docker network create --internal).</param>
public sealed record BridgeSettings(string Name, IPNetwork Subnet, IPAddress Gateway, int Mtu = 1500, bool Masquerade = true, bool Internal = false);

/// <summary>One interface of a container on a bridge: a veth pair, one end on the bridge, the other in the container's namespace.</summary>
/// <param name="NetnsPath">The container's network namespace, e.g. /proc/PID/ns/net.</param>
/// <param name="InterfaceName">The name inside the container (eth0, eth1, ...).</param>
/// <param name="Gateway">The default route through this interface; null leaves routes alone (a second network).</param>
public sealed record EndpointSettings(string NetnsPath, string BridgeName, string InterfaceName, IPAddress Address, int PrefixLength,
    IPAddress? Gateway, PhysicalAddress MacAddress, int Mtu = 1500);

/// <summary>A published port: traffic to the host's <paramref name="HostPort"/> goes to the container's address and port.</summary>
/// <param name="HostIp">The host address it answers on; null or 0.0.0.0 for every address, 127.0.0.1 included.</param>
public sealed record PortForward(string Protocol, IPAddress? HostIp, int HostPort, IPAddress ContainerIp, int ContainerPort, string BridgeName);

/// <summary>
/// The kernel side of bridge networking on the host: links and addresses over rtnetlink, sysctls, and the agent's own
/// netfilter table. Every method is idempotent, so the engine can declare its whole state again after an agent restart.
/// One instance per agent; <c>tableName</c> keeps agents that share a host (tests run several) out of each other's rules.
/// </summary>
public interface IHostNetwork
{
    /// <summary>Creates the bridge when missing, gives it the gateway address, brings it up, and installs its NAT and
    /// isolation rules. Turns on IPv4 forwarding.</summary>
    void EnsureBridge(BridgeSettings bridge);

    /// <summary>Removes the bridge and its rules; nothing when it does not exist.</summary>
    void RemoveBridge(string name);

    /// <summary>The IPv4 subnets the host already routes (to choose free subnets for new networks).</summary>
    IReadOnlyList<IPNetwork> RoutedSubnets();

    /// <summary>Creates a veth pair, puts one end on the bridge and moves the other into the namespace with the
    /// address, MAC, MTU and (optionally) default route. Returns the host-side name.</summary>
    string AttachEndpoint(EndpointSettings endpoint);

    /// <summary>Deletes the container's interface (and with it the host end); nothing when it is gone.</summary>
    void DetachEndpoint(string netnsPath, string interfaceName);

    /// <summary>Replaces the port forwards owned by <paramref name="ownerId"/> (a container id) with these.</summary>
    void SetPortForwards(string ownerId, IReadOnlyList<PortForward> forwards);

    /// <summary>Removes every port forward of the owner.</summary>
    void RemovePortForwards(string ownerId);

    /// <summary>Deletes host-side veth ends left by a crash between creating a pair and moving its peer away.</summary>
    void SweepStaleEndpoints();
}
