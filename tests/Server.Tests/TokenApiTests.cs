using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class TokenApiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ServerFactory CreateServer(TimeProvider? time = null) =>
        new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]) { Time = time };

    [Fact]
    public async Task A_personal_token_is_shown_once_stored_hashed_works_as_bearer_and_stops_when_revoked()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();

        using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "deploy script", expiresInDays = 7 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString()!;
        var id = body.GetProperty("id").GetString()!;
        Assert.StartsWith("cc_", token, StringComparison.Ordinal);

        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens");
        var entry = Assert.Single(listed.EnumerateArray(), t => t.GetProperty("id").GetString() == id);
        Assert.Equal("deploy script", entry.GetProperty("name").GetString());
        Assert.Equal("personal", entry.GetProperty("kind").GetString());
        Assert.DoesNotContain(token, listed.GetRawText(), StringComparison.Ordinal);

        var stored = Assert.Single(await Database.QueryAsync(Path.Combine(server.DataDir, "containerconsole.db"), $"SELECT TokenHash FROM ApiTokens WHERE Id = '{id}'"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))), stored);

        using var automation = server.CreateApiClient();
        automation.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await automation.GetFromJsonAsync<JsonElement>("/api/v1/auth/me");
        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal("token", me.GetProperty("authenticatedBy").GetString());

        var used = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens")).EnumerateArray(), t => t.GetProperty("id").GetString() == id);
        Assert.NotEqual(JsonValueKind.Null, used.GetProperty("lastUsedAt").ValueKind);

        using (var revoke = await admin.DeleteAsync($"/api/v1/tokens/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using var after = await automation.GetAsync("/api/v1/auth/me");
        await AuthApiTests.AssertProblemAsync(after, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var time = new ManualTime();
        await using var server = CreateServer(time);
        using var admin = await server.SignedInClientAsync();
        using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "short", expiresInDays = 1 });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using var client = server.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using (var fresh = await client.GetAsync("/api/v1/auth/me"))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        using var expired = await client.GetAsync("/api/v1/auth/me");
        var problem = await AuthApiTests.AssertProblemAsync(expired, HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Users_see_and_revoke_only_their_own_tokens_admins_everybodys()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        using var vera = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);
        using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "admin's" });
        var adminTokenId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var veraCreated = await vera.PostAsJsonAsync("/api/v1/tokens", new { name = "vera's" });
        var veraTokenId = (await veraCreated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var own = await vera.GetFromJsonAsync<JsonElement>("/api/v1/tokens");
        Assert.All(own.EnumerateArray(), t => Assert.Equal("vera", t.GetProperty("userName").GetString()));
        using (var foreign = await vera.DeleteAsync($"/api/v1/tokens/{adminTokenId}"))
        {
            await AuthApiTests.AssertProblemAsync(foreign, HttpStatusCode.NotFound);
        }

        var all = await admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens?all=true");
        Assert.Contains(all.EnumerateArray(), t => t.GetProperty("id").GetString() == veraTokenId);
        using var revoke = await admin.DeleteAsync($"/api/v1/tokens/{veraTokenId}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var revoked = Assert.Single((await vera.GetFromJsonAsync<JsonElement>("/api/v1/tokens")).EnumerateArray(), t => t.GetProperty("id").GetString() == veraTokenId);
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task A_token_without_a_name_or_with_a_bad_lifetime_is_a_validation_problem()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();

        using var response = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = " ", expiresInDays = 1000 });

        var problem = await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("expiresInDays", out _));
    }
}
