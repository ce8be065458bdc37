using System.Text.Json.Serialization;

namespace ContainerConsole.Agent.Engine;

/// <summary>One network as the agent stores it in &lt;data-root&gt;/network/networks/&lt;id&gt;.json (atomically).</summary>
public sealed class NetworkRecord
{
    public const string BridgeDriver = "bridge";
    public const string HostDriver = "host";
    public const string NullDriver = "null";

    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTime Created { get; set; }
    /// <summary>bridge, host or null (Docker's driver names).</summary>
    public string Driver { get; set; } = BridgeDriver;
    /// <summary>Docker's three predefined networks (bridge, host, none): never removed.</summary>
    public bool Builtin { get; set; }
    public string BridgeName { get; set; } = "";
    public string Subnet { get; set; } = "";
    public string Gateway { get; set; } = "";
    /// <summary>--ip-range: addresses are handed out from this part of the subnet only (empty: the whole subnet).</summary>
    public string IpRange { get; set; } = "";
    public bool Internal { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public Dictionary<string, string> Options { get; set; } = [];
    /// <summary>The endpoints of running containers, by container id. Their addresses are the network's IPAM state.</summary>
    public Dictionary<string, EndpointRecord> Endpoints { get; set; } = [];

    [JsonIgnore]
    public bool IsBridge => Driver == BridgeDriver;

    /// <summary>User-defined bridge networks get the embedded DNS server and resolve containers by name.</summary>
    [JsonIgnore]
    public bool HasEmbeddedDns => IsBridge && !Builtin;

    [JsonIgnore]
    public int PrefixLength => IsBridge ? System.Net.IPNetwork.Parse(Subnet).PrefixLength : 0;
}

/// <summary>A running container's interface on a network.</summary>
public sealed class EndpointRecord
{
    public string ContainerId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    public string EndpointId { get; set; } = "";
    public string Address { get; set; } = "";
    public string MacAddress { get; set; } = "";
    /// <summary>eth0, eth1...: the name inside the container.</summary>
    public string InterfaceName { get; set; } = "";
    public List<string> Aliases { get; set; } = [];
}

/// <summary>What a container asks of one network (Docker's EndpointSettings in a create or connect request).</summary>
public sealed class EndpointConfig
{
    public EndpointIpamConfig? IPAMConfig { get; set; }
    public List<string>? Aliases { get; set; }
    /// <summary>Set by the client in some requests; the agent keys attachments by network id itself.</summary>
    public string? NetworkID { get; set; }
}

public sealed class EndpointIpamConfig
{
    public string? IPv4Address { get; set; }
}

/// <summary>POST /containers/create's NetworkingConfig.</summary>
public sealed class NetworkingConfig
{
    public Dictionary<string, EndpointConfig>? EndpointsConfig { get; set; }
}

/// <summary>A published port as bound at start: inspect's NetworkSettings.Ports and the forwards given to the kernel.</summary>
public sealed record PublishedPort(string Protocol, int ContainerPort, string HostIp, int HostPort);

/// <summary>The networking of a running container, in &lt;data-root&gt;/network/sandboxes/&lt;id&gt;.json while it runs.</summary>
public sealed class SandboxRecord
{
    public string ContainerId { get; set; } = "";
    /// <summary>/proc/PID/ns/net of the container's init, empty for host mode and container: mode.</summary>
    public string NetnsPath { get; set; } = "";
    public List<PublishedPort> Ports { get; set; } = [];
}
