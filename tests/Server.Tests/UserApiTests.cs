using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class UserApiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ServerFactory CreateServer() => new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);

    [Fact]
    public async Task An_admin_creates_lists_and_deletes_users_but_never_the_last_admin()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var id = await ServerFactory.CreateUserAsync(admin, "otto", "operator");

        var users = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/users")).EnumerateArray().ToList();
        Assert.Equal(["admin", "otto"], users.Select(u => u.GetProperty("username").GetString()));
        Assert.DoesNotContain("passwordHash", users[0].GetRawText(), StringComparison.OrdinalIgnoreCase);

        using (var duplicate = await admin.PostAsJsonAsync("/api/v1/users", new { username = "OTTO", password = "password-1234", role = "viewer" }))
        {
            await AuthApiTests.AssertProblemAsync(duplicate, HttpStatusCode.Conflict);
        }

        var adminId = users[0].GetProperty("id").GetString();
        using (var last = await admin.DeleteAsync($"/api/v1/users/{adminId}"))
        {
            var problem = await AuthApiTests.AssertProblemAsync(last, HttpStatusCode.Conflict);
            Assert.Contains("last admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var demote = await admin.PutAsJsonAsync($"/api/v1/users/{adminId}/role", new { role = "viewer" }))
        {
            await AuthApiTests.AssertProblemAsync(demote, HttpStatusCode.Conflict);
        }

        using var otto = await server.SignedInClientAsync("otto", ServerFactory.UserPassword);
        using (var delete = await admin.DeleteAsync($"/api/v1/users/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using var gone = await otto.GetAsync("/api/v1/auth/me");
        await AuthApiTests.AssertProblemAsync(gone, HttpStatusCode.Unauthorized);
        using var missing = await admin.DeleteAsync($"/api/v1/users/{id}");
        await AuthApiTests.AssertProblemAsync(missing, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unknown_role_and_a_short_password_are_named_in_the_validation_problem()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();

        using var response = await admin.PostAsJsonAsync("/api/v1/users", new { username = "x", password = "short", role = "superuser" });

        var problem = await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Contains("superuser", errors.GetProperty("role")[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("password", out _));
        Assert.False(errors.TryGetProperty("username", out _));
    }

    [Fact]
    public async Task A_user_changes_their_own_password_with_the_current_one()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        using var vera = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);

        using (var wrong = await vera.PutAsJsonAsync("/api/v1/users/me/password", new { currentPassword = "not it", newPassword = "a-new-password" }))
        {
            var problem = await AuthApiTests.AssertProblemAsync(wrong, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("currentPassword", out _));
        }

        using (var changed = await vera.PutAsJsonAsync("/api/v1/users/me/password", new { currentPassword = ServerFactory.UserPassword, newPassword = "a-new-password" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }

        using var client = server.CreateApiClient();
        using (var old = await ServerFactory.PostLoginAsync(client, "vera", ServerFactory.UserPassword))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using var fresh = await ServerFactory.PostLoginAsync(client, "vera", "a-new-password");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task An_admin_password_reset_revokes_the_users_tokens()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var id = await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        using var vera = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);

        using (var reset = await admin.PutAsJsonAsync($"/api/v1/users/{id}/password", new { password = "reset-by-admin" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        using var after = await vera.GetAsync("/api/v1/auth/me");
        await AuthApiTests.AssertProblemAsync(after, HttpStatusCode.Unauthorized);
        using var client = server.CreateApiClient();
        using var login = await ServerFactory.PostLoginAsync(client, "vera", "reset-by-admin");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Malformed_json_is_a_problem_naming_the_json_error()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();

        using var response = await admin.PostAsync("/api/v1/users", new StringContent("{\"username\": \"x\",", Encoding.UTF8, "application/json"));

        var problem = await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("JSON", detail, StringComparison.Ordinal);
        Assert.Contains("CreateUserRequest", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversize_body_is_413_naming_the_limit_and_is_audited()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();
        var big = "{\"username\":\"" + new string('a', 2 * 1024 * 1024) + "\"}";

        using var response = await admin.PostAsync("/api/v1/users", new StringContent(big, Encoding.UTF8, "application/json"));

        var problem = await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("1048576", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?result=failed");
        var entry = Assert.Single(audit.GetProperty("items").EnumerateArray(), e => e.GetProperty("statusCode").GetInt32() == 413);
        Assert.Equal("admin", entry.GetProperty("user").GetString());
        Assert.Equal("POST /api/v1/users", entry.GetProperty("action").GetString());
    }
}
