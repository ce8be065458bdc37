using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Images.Registry;

/// <summary>Agent settings for reaching registries.</summary>
public sealed record RegistryOptions
{
    /// <summary>Per-registry CA certificates: &lt;dir&gt;/&lt;host[:port]&gt;/ca.crt, as /etc/docker/certs.d.</summary>
    public string CertsDir { get; init; } = "/etc/containerconsole/certs.d";

    /// <summary>host[:port] names or CIDRs (dockerd's --insecure-registry) that may be reached over plain http or unverified TLS.</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];
}

/// <summary>One way to reach a registry's API: a base URI and whether TLS certificates are checked.</summary>
public sealed record RegistryEndpoint(Uri BaseUri, bool VerifyTls)
{
    public bool IsPlainHttp => BaseUri.Scheme == Uri.UriSchemeHttp;
}

/// <summary>
/// Decides how a registry domain is reached, following dockerd: https with verified certificates, except for registries
/// listed as insecure and registries whose address is loopback (127.0.0.0/8, ::1 are insecure by default in dockerd),
/// which are tried over https without verification and then over plain http. docker.io is served by registry-1.docker.io.
/// </summary>
public sealed class RegistryEndpoints(RegistryOptions options)
{
    public const string DockerHubApiHost = "registry-1.docker.io";

    public RegistryOptions Options { get; } = options;

    public static string ApiHost(string domain) => domain == ImageReference.DefaultDomain ? DockerHubApiHost : domain;

    public async Task<IReadOnlyList<RegistryEndpoint>> ResolveAsync(string domain, CancellationToken ct)
    {
        var host = ApiHost(domain);
        var secure = new RegistryEndpoint(new Uri($"https://{host}/"), VerifyTls: true);
        if (!await IsInsecureAsync(host, ct))
        {
            return [secure];
        }

        return [secure with { VerifyTls = false }, new RegistryEndpoint(new Uri($"http://{host}/"), VerifyTls: false)];
    }

    public async Task<bool> IsInsecureAsync(string hostPort, CancellationToken ct)
    {
        var host = HostOf(hostPort);
        var cidrs = new List<IPNetwork> { IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128") };
        foreach (var entry in Options.InsecureRegistries)
        {
            if (string.Equals(entry, hostPort, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (IPNetwork.TryParse(entry, out var net))
            {
                cidrs.Add(net);
            }
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                // dockerd resolves the name and checks every address; a name that does not resolve is secure.
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException)
            {
                return false;
            }
        }

        return addresses.Any(a => cidrs.Any(c => c.Contains(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)));
    }

    /// <summary>"h:5000" → "h"; "[::1]:5000" → "::1".</summary>
    private static string HostOf(string hostPort)
    {
        if (hostPort.StartsWith('['))
        {
            var end = hostPort.IndexOf(']');
            return end > 0 ? hostPort[1..end] : hostPort;
        }

        var colon = hostPort.LastIndexOf(':');
        return colon > 0 && hostPort.IndexOf(':') == colon ? hostPort[..colon] : hostPort;
    }

    /// <summary>An HTTP handler for one endpoint: TLS trusts the system roots plus &lt;certs dir&gt;/&lt;host:port&gt;/ca.crt.</summary>
    public HttpMessageHandler CreateHandler(RegistryEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (endpoint.BaseUri.Scheme != Uri.UriSchemeHttps)
        {
            return handler;
        }

        if (!endpoint.VerifyTls)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            return handler;
        }

        var ca = Path.Combine(Options.CertsDir, endpoint.BaseUri.Authority, "ca.crt");
        if (File.Exists(ca))
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(ca);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => ValidateWithCa(cert, errors, roots);
        }

        return handler;
    }

    private static bool ValidateWithCa(X509Certificate? cert, SslPolicyErrors errors, X509Certificate2Collection ca)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(cert);
        return chain.Build(leaf);
    }
}
