using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

/// <summary>Sign-in attempts per client address, whatever the user names: the guard against password spraying.</summary>
public sealed class LoginRateLimitTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task An_address_trying_many_user_names_is_refused_after_the_limit_even_with_the_right_password()
    {
        await using var server = CreateServer(IPAddress.Parse("192.0.2.10"));
        using var client = server.CreateApiClient();

        foreach (var name in new[] { "alice", "bob", "carol" })
        {
            using var wrong = await ServerFactory.PostLoginAsync(client, name, "wrong password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var refused = await ServerFactory.PostLoginAsync(client, "admin", ServerFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("Too many sign-in attempts from this address", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The limit is on signing in only: other calls from the same address still get their normal answer.
        using var openApi = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
    }

    [Fact]
    public async Task The_browser_sign_in_form_counts_too()
    {
        await using var server = CreateServer(IPAddress.Parse("192.0.2.11"));
        using var client = server.CreateApiClient(cookies: true);
        for (var i = 0; i < 3; i++)
        {
            using var attempt = await ServerFactory.PostLoginAsync(client, "admin", "wrong password");
            Assert.Equal(HttpStatusCode.Unauthorized, attempt.StatusCode);
        }

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.UserName"] = "admin", ["Input.Password"] = "x" });
        using var refused = await client.PostAsync("/login", form);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_client_address_has_its_own_allowance()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"])
        {
            PeerAddress = IPAddress.Parse("192.0.2.1"),
            TrustedProxies = ["192.0.2.1"],
            Settings = new Dictionary<string, string> { ["LoginAttemptsPerMinute"] = "3" },
        };
        using var client = server.CreateApiClient();
        for (var i = 0; i < 3; i++)
        {
            using var attempt = await LoginFromAsync(client, "198.51.100.7", "wrong password");
            Assert.Equal(HttpStatusCode.Unauthorized, attempt.StatusCode);
        }

        using var refused = await LoginFromAsync(client, "198.51.100.7", ServerFactory.AdminPassword);
        using var otherClient = await LoginFromAsync(client, "198.51.100.8", ServerFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherClient.StatusCode);
    }

    private static Task<HttpResponseMessage> LoginFromAsync(HttpClient client, string clientAddress, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login") { Content = JsonContent.Create(new { username = "admin", password }) };
        request.Headers.Add("X-Forwarded-For", clientAddress);
        return client.SendAsync(request);
    }

    private ServerFactory CreateServer(IPAddress peer) =>
        new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"])
        {
            PeerAddress = peer,
            Settings = new Dictionary<string, string> { ["LoginAttemptsPerMinute"] = "3" },
        };
}
