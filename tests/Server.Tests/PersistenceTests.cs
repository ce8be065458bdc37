using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class PersistenceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_fresh_data_dir_gets_the_migrated_schema()
    {
        var dataDir = _temp.Combine("fresh");
        await using var server = new ServerFactory(dataDir, [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient();
        using (var login = await ServerFactory.PostLoginAsync(client, "admin", ServerFactory.AdminPassword))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }

        var path = Path.Combine(dataDir, "containerconsole.db");
        var tables = await Database.QueryAsync(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        Assert.Subset(new HashSet<string>(tables), new HashSet<string> { "__EFMigrationsHistory", "ApiTokens", "AuditEntries", "Hosts", "Users" });
        Assert.Contains(await Database.QueryAsync(path, "SELECT MigrationId FROM __EFMigrationsHistory"), m => m.EndsWith("_InitialSchema", StringComparison.Ordinal));
        Assert.Equal("wal", Assert.Single(await Database.QueryAsync(path, "PRAGMA journal_mode")));
    }

    [Fact]
    public async Task Users_tokens_hosts_and_the_audit_log_survive_a_restart()
    {
        var dataDir = _temp.Combine("data");
        var agents = new[] { $"unix://{_temp.Combine("missing.sock")}" };
        string token;
        await using (var first = new ServerFactory(dataDir, agents))
        {
            using var admin = await first.SignedInClientAsync();
            await ServerFactory.CreateUserAsync(admin, "otto", "operator");
            using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "ci" });
            token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
            using var host = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "second", uri = $"unix://{_temp.Combine("second.sock")}" });
            Assert.Equal(HttpStatusCode.Created, host.StatusCode);
        }

        // A different CONTAINERCONSOLE_ADMIN_PASSWORD on the second start changes nothing: users exist.
        await using var second = new ServerFactory(dataDir, agents, adminPassword: "another password");
        using var otto = await second.SignedInClientAsync("otto", ServerFactory.UserPassword);
        var me = await otto.GetFromJsonAsync<JsonElement>("/api/v1/auth/me");
        Assert.Equal("operator", me.GetProperty("role").GetString());
        using var admin2 = await second.SignedInClientAsync();

        using var automation = second.CreateApiClient();
        automation.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using (var byToken = await automation.GetAsync("/api/v1/auth/me"))
        {
            Assert.Equal(HttpStatusCode.OK, byToken.StatusCode);
        }

        var hosts = (await admin2.GetFromJsonAsync<JsonElement>("/api/v1/hosts")).EnumerateArray().Select(h => h.GetProperty("name").GetString()).ToList();
        Assert.Equal([agents[0], "second"], hosts); // the configured agent is not registered twice
        var audit = await admin2.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=POST%20/api/v1/users");
        Assert.Equal(1, audit.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Hosts_are_registered_updated_and_removed_by_an_admin()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var admin = await server.SignedInClientAsync();

        using var created = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "fake", uri = agent.Uri });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var host = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", host.GetProperty("state").GetString());
        var id = host.GetProperty("id").GetInt32();

        using (var duplicate = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "fake", uri = agent.Uri }))
        {
            await AuthApiTests.AssertProblemAsync(duplicate, HttpStatusCode.Conflict);
        }

        using (var badTls = await admin.PostAsJsonAsync("/api/v1/hosts", new
        {
            name = "remote",
            uri = "tcp://127.0.0.1:2376",
            tls = new { caCert = "/nonexistent/ca.pem", cert = "/nonexistent/cert.pem", key = "/nonexistent/key.pem" },
        }))
        {
            var problem = await AuthApiTests.AssertProblemAsync(badTls, HttpStatusCode.BadRequest);
            Assert.Contains("/nonexistent/ca.pem", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var badUri = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "bad", uri = "ftp://x" }))
        {
            var problem = await AuthApiTests.AssertProblemAsync(badUri, HttpStatusCode.BadRequest);
            Assert.Contains("ftp", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var renamed = await admin.PutAsJsonAsync($"/api/v1/hosts/{id}", new { name = "renamed", uri = agent.Uri }))
        {
            Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        }

        var containers = await admin.GetFromJsonAsync<JsonElement>("/api/v1/containers?host=renamed");
        Assert.Equal(2, containers.GetProperty("containers").GetArrayLength());

        using (var removed = await admin.DeleteAsync($"/api/v1/hosts/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        var names = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/hosts")).EnumerateArray().Select(h => h.GetProperty("name").GetString());
        Assert.DoesNotContain("renamed", names);
        using var again = await admin.DeleteAsync($"/api/v1/hosts/{id}");
        await AuthApiTests.AssertProblemAsync(again, HttpStatusCode.NotFound);
    }
}
