using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

/// <summary>PATCH /api/v1/users/{id} with <c>disabled</c>: sign-in refused, tokens and cookie sessions stop at once, never the last enabled admin.</summary>
public sealed class UserDisableTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ServerFactory CreateServer() => new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_and_their_token_and_session_stop_at_once()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var id = await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        using var token = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);
        using var session = server.CreateApiClient(cookies: true);
        using (var login = await ServerFactory.PostLoginAsync(session, "vera", ServerFactory.UserPassword))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }

        // Both are checked (and the token check cached) before the change.
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/v1/auth/me")).StatusCode);

        using (var disable = await admin.PatchAsJsonAsync($"/api/v1/users/{id}", new { disabled = true }))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
            Assert.True((await disable.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("disabled").GetBoolean());
        }

        await AuthApiTests.AssertProblemAsync(await token.GetAsync("/api/v1/auth/me"), HttpStatusCode.Unauthorized);
        await AuthApiTests.AssertProblemAsync(await session.GetAsync("/api/v1/auth/me"), HttpStatusCode.Unauthorized);

        using var client = server.CreateApiClient();
        using (var refused = await ServerFactory.PostLoginAsync(client, "vera", ServerFactory.UserPassword))
        {
            var problem = await AuthApiTests.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
            Assert.Contains("disabled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var wrong = await ServerFactory.PostLoginAsync(client, "vera", "not-the-password"))
        {
            // Without the password nobody learns that the user exists and is disabled.
            var problem = await AuthApiTests.AssertProblemAsync(wrong, HttpStatusCode.Unauthorized);
            Assert.DoesNotContain("disabled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var listed = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/users")).EnumerateArray().Single(u => u.GetProperty("id").GetString() == id);
        Assert.True(listed.GetProperty("disabled").GetBoolean());

        using (var enable = await admin.PatchAsJsonAsync($"/api/v1/users/{id}", new { disabled = false }))
        {
            Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/v1/auth/me")).StatusCode);
        using var again = await ServerFactory.PostLoginAsync(client, "vera", ServerFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task The_last_enabled_admin_cannot_be_disabled_and_the_change_is_audited()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var adminId = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/users")).EnumerateArray().Single().GetProperty("id").GetString();
        var ada = await ServerFactory.CreateUserAsync(admin, "ada", "admin");

        using (var other = await admin.PatchAsJsonAsync($"/api/v1/users/{ada}", new { disabled = true }))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // ada is disabled now, so admin is the last enabled admin.
        using (var refused = await admin.PatchAsJsonAsync($"/api/v1/users/{adminId}", new { disabled = true }))
        {
            var problem = await AuthApiTests.AssertProblemAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("last admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/auth/me")).StatusCode);

        using (var empty = await admin.PatchAsJsonAsync($"/api/v1/users/{ada}", new { }))
        {
            var problem = await AuthApiTests.AssertProblemAsync(empty, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("disabled", out _));
        }

        using (var missing = await admin.PatchAsJsonAsync("/api/v1/users/nobody", new { disabled = true }))
        {
            await AuthApiTests.AssertProblemAsync(missing, HttpStatusCode.NotFound);
        }

        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=PATCH%20/api/v1/users/%7Bid%7D")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["failed", "failed", "failed", "success"], audit.Select(e => e.GetProperty("result").GetString()!).Order().ToArray());
        Assert.Contains(audit, e => e.GetProperty("target").GetString() == ada && e.GetProperty("result").GetString() == "success");
    }
}
