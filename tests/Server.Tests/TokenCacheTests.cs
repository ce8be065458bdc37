using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Server.Users;

namespace ContainerConsole.Server.Tests;

/// <summary>
/// Bearer checks are cached for a few seconds, yet revoking, deleting a user, changing a role or resetting a password
/// apply on the next request, and expiry to the tick (the server's clock is a <see cref="ManualTime"/>).
/// </summary>
public sealed class TokenCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ManualTime _time = new();

    public void Dispose() => _temp.Dispose();

    private ServerFactory CreateServer() =>
        new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]) { Time = _time };

    private string DatabaseFile => _temp.Combine("data/containerconsole.db");

    [Fact]
    public async Task A_cached_token_is_not_read_again_within_the_cache_lifetime()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var (id, client) = await PersonalTokenClientAsync(server, admin, expiresInDays: 7);
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(client));

        // Another server on the same database revokes it: this one learns within the cache lifetime, not at once.
        Assert.Equal(1, await Database.ExecuteAsync(DatabaseFile, $"UPDATE ApiTokens SET RevokedAt = 1 WHERE Id = '{id}'"));
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(client));
        _time.Advance(TokenCheckCache.Lifetime);
        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(client));
    }

    [Fact]
    public async Task A_revoked_token_is_refused_on_the_very_next_request_although_it_was_just_cached()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var (id, client) = await PersonalTokenClientAsync(server, admin, expiresInDays: 7);
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(client));
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(client));

        using (var revoke = await admin.DeleteAsync($"/api/v1/tokens/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(client));
    }

    [Fact]
    public async Task A_logout_ends_the_login_token_at_once()
    {
        await using var server = CreateServer();
        using var client = await server.SignedInClientAsync();
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(client));

        using (var logout = await client.PostAsync("/api/v1/auth/logout", null))
        {
            Assert.True(logout.IsSuccessStatusCode, $"logout: {logout.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(client));
    }

    [Fact]
    public async Task A_role_change_applies_to_the_next_request_of_a_cached_token()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var olgaId = await ServerFactory.CreateUserAsync(admin, "olga", Roles.Operator);
        using var olga = await server.SignedInClientAsync("olga", ServerFactory.UserPassword);
        Assert.Equal(Roles.Operator, await RoleAsync(olga));

        using (var demote = await admin.PutAsJsonAsync($"/api/v1/users/{olgaId}/role", new { role = Roles.Viewer }))
        {
            Assert.True(demote.IsSuccessStatusCode, $"role change: {demote.StatusCode}");
        }

        Assert.Equal(Roles.Viewer, await RoleAsync(olga));
        using var refused = await olga.PostAsync("/api/v1/containers/local/abc/stop", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Deleting_a_user_or_resetting_their_password_ends_their_cached_tokens_at_once()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var veraId = await ServerFactory.CreateUserAsync(admin, "vera", Roles.Viewer);
        var paulId = await ServerFactory.CreateUserAsync(admin, "paul", Roles.Viewer);
        using var vera = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);
        using var paul = await server.SignedInClientAsync("paul", ServerFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(vera));
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(paul));

        using (var delete = await admin.DeleteAsync($"/api/v1/users/{veraId}"))
        {
            Assert.True(delete.IsSuccessStatusCode, $"delete: {delete.StatusCode}");
        }

        using (var reset = await admin.PutAsJsonAsync($"/api/v1/users/{paulId}/password", new { password = "another-password-5678" }))
        {
            Assert.True(reset.IsSuccessStatusCode, $"reset: {reset.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(vera));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(paul));
    }

    [Fact]
    public async Task A_cached_token_stops_exactly_at_its_expiry()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var (_, client) = await PersonalTokenClientAsync(server, admin, expiresInDays: 1);
        _time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(client)); // cached now, the lifetime reaches past the expiry

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.Unauthorized, await MeStatusAsync(client));
    }

    private static async Task<(string Id, HttpClient Client)> PersonalTokenClientAsync(ServerFactory server, HttpClient admin, int expiresInDays)
    {
        using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new { name = "automation", expiresInDays });
        created.EnsureSuccessStatusCode();
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var client = server.CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        return (body.GetProperty("id").GetString()!, client);
    }

    private static async Task<HttpStatusCode> MeStatusAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/v1/auth/me");
        return response.StatusCode;
    }

    private static async Task<string?> RoleAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/v1/auth/me")).GetProperty("role").GetString();
}

/// <summary>The cache on its own: lifetime, expiry, invalidation and a check read before an invalidation.</summary>
public sealed class TokenCheckCacheTests
{
    private readonly ManualTime _time = new();

    private TokenCheckCache.TokenCheck Check(TimeSpan expiresIn) =>
        new(new ApiTokenGrant("t1", "u1", _time.GetUtcNow(), _time.GetUtcNow() + expiresIn), new UserRecord("u1", "vera", "hash", Roles.Viewer, _time.GetUtcNow()));

    [Fact]
    public void An_entry_is_served_for_the_lifetime_then_forgotten()
    {
        var cache = new TokenCheckCache(_time);
        var check = Check(TimeSpan.FromDays(1));
        cache.Add("d1", check, cache.Generation);

        _time.Advance(TokenCheckCache.Lifetime - TimeSpan.FromTicks(1));
        Assert.Same(check, cache.Find("d1"));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(cache.Find("d1"));
    }

    [Fact]
    public void An_entry_is_never_served_at_or_past_the_tokens_expiry()
    {
        var cache = new TokenCheckCache(_time);
        cache.Add("d1", Check(TimeSpan.FromSeconds(1)), cache.Generation);
        Assert.NotNull(cache.Find("d1"));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(cache.Find("d1"));
    }

    [Fact]
    public void Invalidate_forgets_everything()
    {
        var cache = new TokenCheckCache(_time);
        cache.Add("d1", Check(TimeSpan.FromDays(1)), cache.Generation);
        cache.Add("d2", Check(TimeSpan.FromDays(1)), cache.Generation);

        cache.Invalidate();

        Assert.Null(cache.Find("d1"));
        Assert.Null(cache.Find("d2"));
    }

    [Fact]
    public void A_check_read_before_an_invalidation_is_not_kept()
    {
        var cache = new TokenCheckCache(_time);
        var before = cache.Generation;
        cache.Invalidate(); // a revocation committed while the check was being read

        cache.Add("d1", Check(TimeSpan.FromDays(1)), before);

        Assert.Null(cache.Find("d1"));
    }
}
