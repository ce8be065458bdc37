using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ContainerConsole.Agent.Engine;

/// <summary>A port the container wants published: host ip and port (0: any free one) for a container port.</summary>
public sealed record PortRequest(string Protocol, int ContainerPort, string HostIp, int HostPort);

/// <summary>
/// -p and -P: HostConfig.PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}) and PublishAllPorts over
/// Config.ExposedPorts and the image's, turned into concrete host ports at start.
/// </summary>
public static class PortPublishing
{
    /// <summary>"80/tcp", "53/udp", "8080" (tcp): protocol and port.</summary>
    public static (string Protocol, int Port) ParsePortKey(string key)
    {
        var parts = key.Split('/', 2);
        var proto = parts.Length > 1 ? parts[1].ToLowerInvariant() : "tcp";
        if (proto is not ("tcp" or "udp" or "sctp"))
            throw EngineException.BadRequest($"invalid proto: {parts[1]}");
        if (proto == "sctp")
            throw EngineException.BadRequest("publishing sctp ports is not supported by this agent");
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw EngineException.BadRequest($"invalid containerPort: {parts[0]}");
        return (proto, port);
    }

    /// <summary>What the container asks for, from its bindings and (with -P) every exposed port.</summary>
    public static List<PortRequest> Requests(HostConfig hc, IEnumerable<string> exposedPorts)
    {
        var result = new List<PortRequest>();
        foreach (var (key, value) in hc.PortBindings ?? [])
        {
            var (proto, port) = ParsePortKey(key);
            var bindings = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [];
            if (bindings.Count == 0)
                bindings = [default];
            foreach (var b in bindings)
            {
                var hostIp = b.ValueKind == JsonValueKind.Object && b.TryGetProperty("HostIp", out var ipEl) ? ipEl.GetString() ?? "" : "";
                var hostPortText = b.ValueKind == JsonValueKind.Object && b.TryGetProperty("HostPort", out var portEl) ? portEl.GetString() ?? "" : "";
                if (hostIp.Length > 0 && (!IPAddress.TryParse(hostIp, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork))
                    throw EngineException.BadRequest($"invalid host IP {hostIp}: only IPv4 addresses can be published here");
                var hostPort = 0;
                if (hostPortText.Length > 0 && (!int.TryParse(hostPortText, NumberStyles.None, CultureInfo.InvariantCulture, out hostPort) || hostPort is < 0 or > 65535))
                    throw EngineException.BadRequest($"invalid hostPort: {hostPortText}");
                result.Add(new PortRequest(proto, port, hostIp, hostPort));
            }
        }
        if (hc.PublishAllPorts)
        {
            foreach (var key in exposedPorts)
            {
                var (proto, port) = ParsePortKey(key);
                if (!result.Any(r => r.Protocol == proto && r.ContainerPort == port))
                    result.Add(new PortRequest(proto, port, "", 0));
            }
        }
        return result;
    }

    /// <summary>The kernel's ephemeral range (net.ipv4.ip_local_port_range), where dockerd takes ports for -P and HostPort 0 too.</summary>
    public static (int From, int To) EphemeralRange(string? text = null)
    {
        text ??= File.Exists("/proc/sys/net/ipv4/ip_local_port_range") ? File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range") : "32768 60999";
        var p = text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Concrete host ports for the requests. <paramref name="taken"/> holds the agent's own published ports (forwarded by
    /// netfilter, so no socket shows them); <paramref name="isFree"/> checks the host's sockets (a test bind).
    /// </summary>
    public static List<PublishedPort> Assign(IReadOnlyList<PortRequest> requests, IReadOnlyCollection<PublishedPort> taken, (int From, int To) range,
        Func<string, string, int, bool> isFree)
    {
        var result = new List<PublishedPort>();
        bool Clashes(string proto, string hostIp, int port) =>
            taken.Concat(result).Any(t => t.Protocol == proto && t.HostPort == port && (t.HostIp == hostIp || t.HostIp is "" or "0.0.0.0" || hostIp is "" or "0.0.0.0"));
        foreach (var r in requests)
        {
            var hostIp = r.HostIp.Length == 0 ? "0.0.0.0" : r.HostIp;
            if (r.HostPort != 0)
            {
                if (Clashes(r.Protocol, hostIp, r.HostPort) || !isFree(r.Protocol, hostIp, r.HostPort))
                    throw new EngineException(500, $"Bind for {hostIp}:{r.HostPort} failed: port is already allocated");
                result.Add(new PublishedPort(r.Protocol, r.ContainerPort, hostIp, r.HostPort));
                continue;
            }
            var port = Enumerable.Range(range.From, range.To - range.From + 1)
                .FirstOrDefault(p => !Clashes(r.Protocol, hostIp, p) && isFree(r.Protocol, hostIp, p));
            if (port == 0)
                throw new EngineException(500, $"Bind for {hostIp}:0 failed: no free port in {range.From}-{range.To}");
            result.Add(new PublishedPort(r.Protocol, r.ContainerPort, hostIp, port));
        }
        return result;
    }

    /// <summary>A test bind: the port is free on the host when a socket can take it (and is let go at once).</summary>
    public static bool CanBind(string protocol, string hostIp, int port)
    {
        try
        {
            using var s = protocol == "udp"
                ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Parse(hostIp), port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>NetworkSettings.Ports: every requested container port, bound or not ("80/tcp": [{"HostIp","HostPort"}] or null).</summary>
    public static Dictionary<string, List<Dictionary<string, string>>?> PortMap(IEnumerable<string> exposed, IReadOnlyList<PublishedPort> published)
    {
        var map = new Dictionary<string, List<Dictionary<string, string>>?>();
        foreach (var key in exposed)
        {
            var (proto, port) = ParsePortKey(key);
            map.TryAdd($"{port}/{proto}", null);
        }
        foreach (var p in published)
        {
            var key = $"{p.ContainerPort}/{p.Protocol}";
            var list = map.GetValueOrDefault(key) ?? [];
            list.Add(new Dictionary<string, string> { ["HostIp"] = p.HostIp, ["HostPort"] = p.HostPort.ToString(CultureInfo.InvariantCulture) });
            map[key] = list;
        }
        return map;
    }
}
