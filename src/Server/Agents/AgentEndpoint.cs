using System.Diagnostics.CodeAnalysis;

namespace ContainerConsole.Server.Agents;

/// <summary>How to reach an agent.</summary>
public enum AgentTransport
{
    /// <summary>HTTP over a unix domain socket (<c>unix:///run/containerconsole/agent.sock</c>).</summary>
    UnixSocket,

    /// <summary>HTTP over TCP (<c>tcp://host:port</c> or <c>http://host:port</c>).</summary>
    Http,

    /// <summary>HTTPS over TCP (<c>https://host:port</c>, or <c>tcp://host:port</c> with <see cref="AgentTls"/>).</summary>
    Https,
}

/// <summary>
/// Mutual TLS towards a remote agent, as dockerd's <c>--tlscacert --tlscert --tlskey</c>: the agent's certificate
/// must chain to <paramref name="CaCertPath"/>, and the server presents <paramref name="CertPath"/> with its key.
/// </summary>
/// <param name="CaCertPath">PEM file of the CA that signed the agent's certificate.</param>
/// <param name="CertPath">PEM file of the server's client certificate.</param>
/// <param name="KeyPath">PEM file of the client certificate's private key.</param>
public sealed record AgentTls(string CaCertPath, string CertPath, string KeyPath);

/// <summary>
/// An agent address as given with <c>--agent</c>: <c>[NAME=]unix:///path</c>, <c>[NAME=]tcp://host:port</c>,
/// <c>[NAME=]http(s)://host:port</c>. Without a name, the address itself names the host.
/// </summary>
/// <param name="Name">Display name, unique among the configured agents.</param>
/// <param name="Transport">How to connect.</param>
/// <param name="Address">The socket path (<see cref="AgentTransport.UnixSocket"/>) or the HTTP base address.</param>
/// <param name="Tls">Client certificate and CA for mutual TLS, when the agent wants it.</param>
public sealed record AgentEndpoint(string Name, AgentTransport Transport, string Address, AgentTls? Tls = null)
{
    /// <summary>The same agent reached with mutual TLS: a <c>tcp://</c> or <c>http://</c> address becomes <c>https://</c>.</summary>
    public AgentEndpoint WithTls(AgentTls tls) => Transport == AgentTransport.UnixSocket
        ? throw new ArgumentException("TLS applies to TCP agents, not to a unix socket.")
        : this with { Transport = AgentTransport.Https, Address = "https://" + Address[(Address.IndexOf("://", StringComparison.Ordinal) + 3)..], Tls = tls };

    /// <summary>The address in URI form, e.g. <c>unix:///run/containerconsole/agent.sock</c>.</summary>
    public string Uri => Transport == AgentTransport.UnixSocket ? "unix://" + Address : Address;

    public override string ToString() => Name == Uri ? Uri : $"{Name}={Uri}";

    public static AgentEndpoint Parse(string spec) =>
        TryParse(spec, out var endpoint, out var error) ? endpoint : throw new FormatException(error);

    public static bool TryParse(string spec, [NotNullWhen(true)] out AgentEndpoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        spec = spec.Trim();
        string? name = null;
        var equals = spec.IndexOf('=', StringComparison.Ordinal);
        var scheme = spec.IndexOf("://", StringComparison.Ordinal);
        if (equals > 0 && (scheme < 0 || equals < scheme))
        {
            name = spec[..equals].Trim();
            spec = spec[(equals + 1)..].Trim();
        }

        if (!System.Uri.TryCreate(spec, UriKind.Absolute, out var uri))
        {
            error = "not an absolute URI (expected unix:///path, tcp://host:port or http://host:port)";
            return false;
        }

        switch (uri.Scheme)
        {
            case "unix":
                var path = System.Uri.UnescapeDataString(uri.AbsolutePath);
                if (!string.IsNullOrEmpty(uri.Host) || !path.StartsWith('/') || path.Length < 2)
                {
                    error = "a unix socket URI needs an absolute path: unix:///path/to/agent.sock";
                    return false;
                }

                endpoint = new AgentEndpoint(name ?? "", AgentTransport.UnixSocket, path);
                break;
            case "tcp" or "http" or "https":
                if (string.IsNullOrEmpty(uri.Host) || (uri.IsDefaultPort && uri.Scheme == "tcp"))
                {
                    error = "a TCP agent needs a host and a port: tcp://host:port";
                    return false;
                }

                var transport = uri.Scheme == "https" ? AgentTransport.Https : AgentTransport.Http;
                var baseAddress = $"{(transport == AgentTransport.Https ? "https" : "http")}://{uri.Authority}";
                endpoint = new AgentEndpoint(name ?? "", transport, baseAddress);
                break;
            default:
                error = $"unsupported scheme '{uri.Scheme}' (expected unix, tcp, http or https)";
                return false;
        }

        if (string.IsNullOrEmpty(endpoint.Name))
        {
            endpoint = endpoint with { Name = endpoint.Uri };
        }

        error = null;
        return true;
    }
}
