using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

/// <summary>
/// X-Forwarded-For and X-Forwarded-Proto count only from a proxy named by --trusted-proxy: then the audit log shows
/// the client's address and the session cookie is Secure for https; from anyone else the headers change nothing.
/// </summary>
public sealed class ForwardedHeadersTests : IDisposable
{
    private const string Proxy = "127.0.0.2";
    private const string Client = "198.51.100.7"; // documentation range: only ever a header value here

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ServerFactory CreateServer(string peer, params string[] trustedProxies) =>
        new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"])
        {
            PeerAddress = IPAddress.Parse(peer),
            TrustedProxies = trustedProxies,
        };

    [Fact]
    public async Task Behind_a_trusted_proxy_the_audit_shows_the_forwarded_address_and_the_cookie_follows_the_forwarded_scheme()
    {
        await using var server = CreateServer(Proxy, Proxy);

        var (address, secureCookie) = await LoginThroughProxyAsync(server, Client);

        Assert.Equal(Client, address);
        Assert.True(secureCookie);
    }

    [Fact]
    public async Task Without_a_trusted_proxy_the_headers_are_ignored()
    {
        await using var server = CreateServer(Proxy);

        var (address, secureCookie) = await LoginThroughProxyAsync(server, Client);

        Assert.Equal(Proxy, address);
        Assert.False(secureCookie);
    }

    [Fact]
    public async Task A_peer_that_is_not_the_trusted_proxy_cannot_forward()
    {
        await using var server = CreateServer("127.0.0.3", Proxy);

        var (address, secureCookie) = await LoginThroughProxyAsync(server, Client);

        Assert.Equal("127.0.0.3", address);
        Assert.False(secureCookie);
    }

    [Fact]
    public async Task An_address_the_client_wrote_before_the_proxys_own_entry_is_not_believed()
    {
        await using var server = CreateServer(Proxy, "127.0.0.0/29");

        // The client sent "X-Forwarded-For: 203.0.113.9"; the proxy appended the address it saw.
        var (address, _) = await LoginThroughProxyAsync(server, $"203.0.113.9, {Client}");

        Assert.Equal(Client, address);
    }

    [Theory]
    [InlineData("proxy.example")]
    [InlineData("10.0.0.0/33")]
    public void A_trusted_proxy_that_is_not_an_address_or_network_is_refused(string proxy)
    {
        var setup = new ServerOptionsSetup();
        var options = new ServerOptions { TrustedProxies = [proxy, "10.0.0.0/24", "::1"] };
        setup.PostConfigure(null, options);

        var result = setup.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal($"--trusted-proxy {proxy}: not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24).", Assert.Single(result.Failures!));
    }

    [Fact]
    public void The_flag_is_repeatable_and_in_the_help()
    {
        Assert.Equal(
            ["--ContainerConsole:TrustedProxies:0=10.0.0.1", "--ContainerConsole:TrustedProxies:1=10.1.0.0/16"],
            CommandLine.Normalize(["--trusted-proxy", "10.0.0.1", "--trusted-proxy=10.1.0.0/16"]));
        Assert.Contains("--trusted-proxy IP", CommandLine.Usage, StringComparison.Ordinal);
    }

    /// <summary>Signs in as a proxy would pass it on; returns the audited address and whether the cookie is Secure.</summary>
    private static async Task<(string? Address, bool SecureCookie)> LoginThroughProxyAsync(ServerFactory server, string forwardedFor)
    {
        using var client = server.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = JsonContent.Create(new { username = "admin", password = ServerFactory.AdminPassword }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var login = await client.SendAsync(request);
        login.EnsureSuccessStatusCode();
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".ContainerConsole.Session=", StringComparison.Ordinal));

        using var admin = await server.SignedInClientAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=POST%20/api/v1/auth/login&pageSize=500");
        var first = audit.GetProperty("items").EnumerateArray().Last(); // newest first: the last is our login
        return (first.GetProperty("remoteAddress").GetString(), cookie.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }
}
