using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace ContainerConsole.Server.Hosting;

/// <summary>
/// Behind a reverse proxy the peer is the proxy: <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> give the client's
/// address (for the audit log) and scheme (for the cookie's Secure flag), but only from the proxies named in
/// <see cref="ServerOptions.TrustedProxies"/>. Anyone else could write those headers, so theirs are ignored.
/// </summary>
internal static class ForwardedHeadersSetup
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<ServerOptions>>((forwarded, server) =>
            {
                forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                // ASP.NET Core trusts loopback by default; here only what the administrator named.
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                // Walk back through a chain of trusted proxies; the first untrusted hop is the client.
                forwarded.ForwardLimit = null;
                foreach (var proxy in server.Value.TrustedProxies)
                {
                    if (TryParse(proxy, out var network))
                    {
                        forwarded.KnownIPNetworks.Add(network);
                    }
                }
            });
        return services;
    }

    /// <summary>Reads the forwarded headers of trusted proxies; before routing, authentication and the audit.</summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    public static IEnumerable<string> Validate(IEnumerable<string> proxies) =>
        proxies.Where(p => !TryParse(p, out _))
            .Select(p => $"--trusted-proxy {p}: not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24).");

    /// <summary>An address is a network of one (/32 or /128).</summary>
    private static bool TryParse(string value, out IPNetwork network)
    {
        value = value.Trim();
        if (IPAddress.TryParse(value, out var address) && !value.Contains('/', StringComparison.Ordinal))
        {
            network = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return IPNetwork.TryParse(value, out network);
    }
}
