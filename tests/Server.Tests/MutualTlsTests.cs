using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class MutualTlsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_tcp_agent_with_mutual_tls_is_healthy_and_an_untrusted_one_is_unreachable()
    {
        using var authority = TestCertificates.CreateAuthority("agent CA");
        using var serverCertificate = TestCertificates.Issue(authority, "agent", server: true);
        using var clientCertificate = TestCertificates.Issue(authority, "ccserver", server: false);
        using var otherAuthority = TestCertificates.CreateAuthority("someone else's CA");
        var (ca, _) = TestCertificates.WritePem(authority, _temp.Path, "ca");
        var (otherCa, _) = TestCertificates.WritePem(otherAuthority, _temp.Path, "other-ca");
        var (cert, key) = TestCertificates.WritePem(clientCertificate, _temp.Path, "client");

        await using var agent = await FakeAgent.StartMutualTlsAsync(serverCertificate, authority);
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var admin = await server.SignedInClientAsync();

        using var trusted = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "remote", uri = agent.Uri, tls = new { caCert = ca, cert, key } });
        Assert.Equal(HttpStatusCode.Created, trusted.StatusCode);
        var host = await trusted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", host.GetProperty("state").GetString());
        Assert.True(host.GetProperty("mutualTls").GetBoolean());
        Assert.Equal(agent.Uri, host.GetProperty("uri").GetString());
        Assert.Equal(FakeAgent.EngineVersion, host.GetProperty("version").GetProperty("version").GetString());

        // The agent's certificate does not chain to the CA this registration trusts.
        using var untrusted = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "impostor", uri = agent.Uri, tls = new { caCert = otherCa, cert, key } });
        Assert.Equal(HttpStatusCode.Created, untrusted.StatusCode);
        Assert.Equal("unreachable", (await untrusted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());

        // Plain HTTPS (no client certificate, the system roots) gets nowhere either.
        using var plain = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "plain", uri = agent.Uri.Replace("tcp://", "https://", StringComparison.Ordinal) });
        Assert.Equal("unreachable", (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
    }
}
