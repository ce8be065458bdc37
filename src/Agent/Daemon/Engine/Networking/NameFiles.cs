using System.Net;
using System.Text;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The container's /etc/hostname, /etc/hosts and /etc/resolv.conf. They are made by the agent for each start and
/// bind-mounted by the spec, so they are not part of the image (diff, commit and export skip them).
/// </summary>
public static class NameFiles
{
    public static readonly string[] Destinations = ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"];

    public static string Hostname(string hostname) => hostname + "\n";

    /// <summary>Docker's layout: localhost lines, the --add-host entries, then the container's own address and hostname.</summary>
    public static string Hosts(string hostname, IPAddress? address, IEnumerable<string> extraHosts, IPAddress? hostGateway)
    {
        var sb = new StringBuilder();
        sb.Append("127.0.0.1\tlocalhost\n");
        sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("fe00::0\tip6-localnet\n");
        sb.Append("ff00::0\tip6-mcastprefix\n");
        sb.Append("ff02::1\tip6-allnodes\n");
        sb.Append("ff02::2\tip6-allrouters\n");
        foreach (var entry in extraHosts)
        {
            var (name, ip) = ParseExtraHost(entry, hostGateway);
            sb.Append(ip).Append('\t').Append(name).Append('\n');
        }
        if (address is not null)
            sb.Append(address).Append('\t').Append(hostname).Append('\n');
        return sb.ToString();
    }

    /// <summary>--add-host name:ip (or name=ip); host-gateway is the default bridge's gateway, the host as containers see it.</summary>
    public static (string Name, string Ip) ParseExtraHost(string entry, IPAddress? hostGateway)
    {
        var sep = entry.IndexOf('=') is var eq and > 0 ? eq : entry.IndexOf(':');
        if (sep <= 0)
            throw EngineException.BadRequest($"invalid extra host \"{entry}\": expected name:ip");
        var name = entry[..sep];
        var ip = entry[(sep + 1)..].Trim('[', ']');
        if (ip == "host-gateway")
            ip = hostGateway?.ToString() ?? throw EngineException.BadRequest("host-gateway: the default bridge has no gateway address");
        if (!IPAddress.TryParse(ip, out _))
            throw EngineException.BadRequest($"invalid IP address in add-host: \"{ip}\"");
        return (name, ip);
    }

    /// <summary>
    /// resolv.conf: the host's without loopback nameservers (unreachable from the container's namespace), the
    /// --dns/--dns-search/--dns-option ones replacing the host's of each kind; <paramref name="embeddedDns"/> (user networks)
    /// makes the network's own DNS server the only nameserver, which forwards what it does not know to the host's.
    /// </summary>
    public static string ResolvConf(string hostResolvConf, IReadOnlyList<string> dns, IReadOnlyList<string> dnsSearch, IReadOnlyList<string> dnsOptions,
        IPAddress? embeddedDns)
    {
        var host = ParseResolvConf(hostResolvConf);
        var nameservers = embeddedDns is not null ? [embeddedDns.ToString()]
            : dns.Count > 0 ? dns.ToList()
            : host.Nameservers.Where(n => !IsLoopback(n)).ToList();
        var search = dnsSearch.Count > 0 ? dnsSearch.Where(s => s != ".").ToList() : host.Search;
        var options = dnsOptions.Count > 0 ? dnsOptions.ToList() : host.Options;
        var sb = new StringBuilder();
        foreach (var n in nameservers)
            sb.Append("nameserver ").Append(n).Append('\n');
        if (search.Count > 0)
            sb.Append("search ").Append(string.Join(' ', search)).Append('\n');
        if (options.Count > 0)
            sb.Append("options ").Append(string.Join(' ', options)).Append('\n');
        return sb.ToString();
    }

    public sealed record ResolvSettings(List<string> Nameservers, List<string> Search, List<string> Options);

    public static ResolvSettings ParseResolvConf(string text)
    {
        var r = new ResolvSettings([], [], []);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#', ';')[0].Trim();
            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2)
                continue;
            switch (f[0])
            {
                case "nameserver": r.Nameservers.Add(f[1]); break;
                case "search" or "domain": r.Search.Clear(); r.Search.AddRange(f.Skip(1)); break;
                case "options": r.Options.AddRange(f.Skip(1)); break;
            }
        }
        return r;
    }

    /// <summary>The host's nameservers the embedded DNS server forwards to (loopback ones too: it runs in the host's namespace).</summary>
    public static List<IPEndPoint> Upstreams(string hostResolvConf) =>
        ParseResolvConf(hostResolvConf).Nameservers.Select(n => IPAddress.TryParse(n, out var ip) ? new IPEndPoint(ip, 53) : null).OfType<IPEndPoint>().ToList();

    private static bool IsLoopback(string nameserver) => IPAddress.TryParse(nameserver, out var ip) && IPAddress.IsLoopback(ip);
}
