using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class AuthApiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private ServerFactory CreateServer(string? adminPassword = ServerFactory.AdminPassword) =>
        new(_temp.Combine("data"), [$"unix://{_temp.Combine("no-agent.sock")}"], adminPassword);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Login_with_the_environment_password_returns_a_token_that_reads_hosts()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        using var login = await ServerFactory.PostLoginAsync(client, "admin", ServerFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString();
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal("admin", body.GetProperty("username").GetString());
        Assert.Equal("admin", body.GetProperty("role").GetString());
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".ContainerConsole.Session=", StringComparison.Ordinal));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/hosts");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var hosts = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, hosts.StatusCode);
        var list = await hosts.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Array, list.ValueKind);
        Assert.Equal(1, list.GetArrayLength());
    }

    [Fact]
    public async Task Login_sets_a_session_cookie_that_authenticates_the_api()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient(cookies: true);

        await ServerFactory.LoginAsync(client);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/auth/me");

        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal("cookie", me.GetProperty("authenticatedBy").GetString());
        using var hosts = await client.GetAsync("/api/v1/hosts");
        Assert.Equal(HttpStatusCode.OK, hosts.StatusCode);
    }

    [Fact]
    public async Task Wrong_password_is_401_problem_details()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        using var response = await ServerFactory.PostLoginAsync(client, "admin", "wrong password");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Unknown_user_is_401_problem_details()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        using var response = await ServerFactory.PostLoginAsync(client, "nobody", ServerFactory.AdminPassword);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Login_without_credentials_is_400_validation_problem()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin" });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Hosts_without_authentication_is_401_problem_details()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        using var response = await client.GetAsync("/api/v1/hosts");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unknown_bearer_token_is_401_with_a_bearer_challenge()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/hosts");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "cc_not-a-real-token");

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Five_failures_lock_the_user_even_for_the_right_password()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var failure = await ServerFactory.PostLoginAsync(client, "admin", $"wrong {attempt}");
            await AssertProblemAsync(failure, HttpStatusCode.Unauthorized);
        }

        using var fifth = await ServerFactory.PostLoginAsync(client, "admin", "wrong 5");
        await AssertProblemAsync(fifth, HttpStatusCode.TooManyRequests);

        using var locked = await ServerFactory.PostLoginAsync(client, "admin", ServerFactory.AdminPassword);
        var problem = await AssertProblemAsync(locked, HttpStatusCode.TooManyRequests);
        Assert.Contains("locked", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        var retryAfter = locked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(200), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Logout_revokes_the_token()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();
        var token = await ServerFactory.LoginAsync(client);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using (var me = await client.GetAsync("/api/v1/auth/me"))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        using (var logout = await client.PostAsync("/api/v1/auth/logout", content: null))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var after = await client.GetAsync("/api/v1/auth/me");
        await AssertProblemAsync(after, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Without_the_environment_password_a_random_one_is_printed_once_and_kept()
    {
        string printed;
        await using (var first = CreateServer(adminPassword: null))
        {
            using var client = first.CreateApiClient();
            var line = Assert.Single(first.Output.Lines, l => l.StartsWith("Admin password: ", StringComparison.Ordinal));
            printed = line["Admin password: ".Length..];
            Assert.True(printed.Length >= 16);
            await ServerFactory.LoginAsync(client, "admin", printed);
        }

        // Second start on the same data directory: the user is kept and nothing is printed.
        await using var second = CreateServer(adminPassword: "ignored now");
        using var again = second.CreateApiClient();
        await ServerFactory.LoginAsync(again, "admin", printed);
        Assert.DoesNotContain(second.Output.Lines, l => l.StartsWith("Admin password", StringComparison.Ordinal));
        using var envPassword = await ServerFactory.PostLoginAsync(again, "admin", "ignored now");
        Assert.Equal(HttpStatusCode.Unauthorized, envPassword.StatusCode);
    }

    [Fact]
    public async Task The_database_holds_a_salted_pbkdf2_hash_and_is_readable_only_by_the_owner()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();
        await ServerFactory.LoginAsync(client);

        var path = Path.Combine(server.DataDir, "containerconsole.db");
        var hash = Assert.Single(await Database.QueryAsync(path, "SELECT PasswordHash FROM Users WHERE UserName = 'admin'"));
        Assert.DoesNotContain(ServerFactory.AdminPassword, hash, StringComparison.Ordinal);
        var parts = hash.Split('$');
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 210_000);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(File.Exists(Path.Combine(server.DataDir, "users.json")));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api()
    {
        await using var server = CreateServer();
        using var client = server.CreateApiClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/auth/login", out _));
        Assert.True(paths.TryGetProperty("/api/v1/hosts", out _));
        Assert.True(paths.TryGetProperty("/api/v1/containers", out _));
        Assert.True(paths.TryGetProperty("/api/v1/users", out _));
        Assert.True(paths.TryGetProperty("/api/v1/tokens", out _));
        Assert.True(paths.TryGetProperty("/api/v1/audit/export", out _));
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out _));
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("title", out _));
        return problem;
    }
}
