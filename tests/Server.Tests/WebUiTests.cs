using System.Net;
using System.Text.RegularExpressions;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

/// <summary>The Blazor pages as a browser without JavaScript sees them (server prerendering).</summary>
public sealed partial class WebUiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Pages_redirect_to_the_sign_in_page_when_signed_out()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient();

        using var response = await client.GetAsync("/hosts");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?ReturnUrl=%2Fhosts", response.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task Signing_in_with_the_form_shows_hosts_and_containers()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var client = server.CreateApiClient(cookies: true);

        using var signIn = await PostLoginFormAsync(client, "admin", ServerFactory.AdminPassword, returnUrl: "/containers");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/containers", signIn.Headers.Location?.AbsolutePath);

        var hosts = await client.GetStringAsync("/hosts");
        Assert.Contains("local", hosts, StringComparison.Ordinal);
        Assert.Contains("Healthy", hosts, StringComparison.Ordinal);
        Assert.Contains(FakeAgent.EngineVersion, hosts, StringComparison.Ordinal);
        Assert.Contains("Sign out", hosts, StringComparison.Ordinal);

        var containers = await client.GetStringAsync("/containers");
        Assert.Contains("busybox:latest", containers, StringComparison.Ordinal);
        Assert.Contains("Up 5 minutes", containers, StringComparison.Ordinal);
        Assert.Contains(">web<", containers, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_in_the_form_shows_an_error()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient(cookies: true);

        using var response = await PostLoginFormAsync(client, "admin", "wrong", returnUrl: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Invalid user name or password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var hosts = await client.GetAsync("/hosts");
        Assert.Equal(HttpStatusCode.Redirect, hosts.StatusCode);
    }

    [Fact]
    public async Task The_sign_in_form_requires_the_antiforgery_token()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient(cookies: true);

        using var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.UserName"] = "admin",
            ["Input.Password"] = ServerFactory.AdminPassword,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Sign_out_ends_the_session()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient(cookies: true);
        using (var signIn = await PostLoginFormAsync(client, "admin", ServerFactory.AdminPassword, returnUrl: null))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var page = await client.GetStringAsync("/hosts");
        using var signOut = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryToken(page),
        }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        using var after = await client.GetAsync("/hosts");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Theory]
    [InlineData("/_framework/blazor.web.js")]
    [InlineData("/_content/ContainerConsole.Web/app.css")]
    [InlineData("/_content/ContainerConsole.Web/ContainerConsole.Web.bundle.scp.css")]
    public async Task Static_assets_are_served(string path)
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostLoginFormAsync(HttpClient client, string username, string password, string? returnUrl)
    {
        var url = returnUrl is null ? "/login" : $"/login?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
        var form = await client.GetStringAsync(url);
        return await client.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
            ["Input.UserName"] = username,
            ["Input.Password"] = password,
        }));
    }

    private static string AntiforgeryToken(string html)
    {
        var match = AntiforgeryInput().Match(html);
        Assert.True(match.Success, "The page has no antiforgery token.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryInput();
}
