using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// The dashboard and administration pages in Debian's chromium against the real server and a real agent (root): the
/// dashboard counts the running container; the events page sees its stop live; the audit page lists the console's
/// stop (source ui) and exports it as CSV; an admin creates an operator and an API token (shown once) and revokes it.
/// </summary>
[Collection(Browser.Collection)]
public sealed class AdminEndToEndTests
{
    [RequiresRootFact]
    public async Task Dashboard_events_audit_users_and_tokens()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-admin-" + Guid.NewGuid().ToString("N")[..10]);
        using var agent = await RealAgent.StartWithBusyboxAsync();
        try
        {
            await using var server = ConsoleServer.Start(dataDir, [$"local={agent.Uri}"]);
            var id = await agent.RunAsync("trap 'exit 0' TERM; while true; do sleep 1; done");
            using (var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{id}/json")))
            {
                Assert.Equal("running", inspect.RootElement.GetProperty("State").GetProperty("Status").GetString());
            }

            var name = await ContainerNameAsync(agent, id);
            await using var browser = await Browser.LaunchAsync();

            // Signing in lands on the dashboard, which counts the one running container.
            var page = await SignInAsync(browser, server);
            Assert.EndsWith("/dashboard", page.Url, StringComparison.Ordinal);
            await Assertions.Expect(page.Locator("[data-figure=running]")).ToHaveTextAsync("1");
            await Assertions.Expect(page.Locator("[data-figure=stopped]")).ToHaveTextAsync("0");
            await Browser.ScreenshotAsync(page, "10-dashboard");

            // The events page is open while the container is stopped from the containers page: the die arrives live.
            var events = await page.Context.NewPageAsync();
            await events.GotoAsync(new Uri(server.BaseAddress, "events").ToString());
            await WhenPageInteractiveAsync(events);
            await Assertions.Expect(events.Locator("h1")).ToHaveTextAsync("Events");
            await Assertions.Expect(events.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeVisibleAsync();

            await page.GotoAsync(new Uri(server.BaseAddress, "containers").ToString());
            await WhenInteractiveAsync(page);
            await page.Locator($"button[aria-label='Stop {name}']").ClickAsync();
            var row = page.Locator("tbody tr", new() { Has = page.Locator($"td.name a:text-is('{name}')") });
            await Assertions.Expect(row.Locator(".status")).ToContainTextAsync("exited", new() { Timeout = 30_000 });

            await events.Locator("#event-container").FillAsync(name);
            await Assertions.Expect(events.Locator("td.action-name", new() { HasTextString = "die" })).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Browser.ScreenshotAsync(events, "11-events");

            await page.GotoAsync(new Uri(server.BaseAddress, "dashboard").ToString());
            await Assertions.Expect(page.Locator("[data-figure=running]")).ToHaveTextAsync("0");
            await Assertions.Expect(page.Locator("[data-figure=stopped]")).ToHaveTextAsync("1");

            // The audit page: console actions filtered by their source, and the CSV export of that filter.
            await page.GotoAsync(new Uri(server.BaseAddress, "audit").ToString());
            await WhenPageInteractiveAsync(page);
            await Assertions.Expect(page.Locator("table.audit")).ToBeVisibleAsync();
            await page.Locator("#audit-source").SelectOptionAsync("ui");
            await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            var stop = page.Locator("tbody tr", new() { Has = page.Locator("td.audit-action:text-is('container.stop')") });
            await Assertions.Expect(stop).ToHaveCountAsync(1);
            await Assertions.Expect(stop.Locator("td.target")).ToHaveTextAsync($"local/{id}");
            await Assertions.Expect(stop.Locator("td.audit-result")).ToContainTextAsync("success");
            await Browser.ScreenshotAsync(page, "12-audit");

            var csvLink = await page.GetByRole(AriaRole.Link, new() { Name = "CSV" }).GetAttributeAsync("href");
            Assert.Contains("source=ui", csvLink, StringComparison.Ordinal);
            var csv = await page.Context.APIRequest.GetAsync(new Uri(server.BaseAddress, csvLink).ToString());
            Assert.Equal(200, csv.Status);
            var lines = (await csv.TextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("id,time,source,user", lines[0], StringComparison.Ordinal);
            var stopLine = Assert.Single(lines, l => l.Contains(",container.stop,", StringComparison.Ordinal));
            Assert.Contains(",ui,admin,", stopLine, StringComparison.Ordinal);
            Assert.Contains($"local/{id}", stopLine, StringComparison.Ordinal);

            // Hosts: the admin sees the registration form.
            await page.GotoAsync(new Uri(server.BaseAddress, "hosts").ToString());
            await WhenPageInteractiveAsync(page);
            await Assertions.Expect(page.Locator("td .name", new() { HasTextString = "local" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#host-name")).ToBeAttachedAsync();
            await Browser.ScreenshotAsync(page, "13-hosts");

            // Users & tokens: the admin creates an operator, then an API token that works until revoked.
            await page.GotoAsync(new Uri(server.BaseAddress, "users").ToString());
            await WhenPageInteractiveAsync(page);
            await page.Locator("#new-user").FillAsync("otto");
            await page.Locator("#new-password").FillAsync("operator-password-1");
            await page.Locator("#new-role").SelectOptionAsync("operator");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
            var otto = page.Locator("tbody tr", new() { Has = page.Locator("td.user-name:text-is('otto')") });
            await Assertions.Expect(otto.Locator("select")).ToHaveValueAsync("operator");
            using (var client = new HttpClient { BaseAddress = server.BaseAddress })
            using (var login = await client.PostAsJsonAsync("api/v1/auth/login", new { username = "otto", password = "operator-password-1" }))
            {
                Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            }

            await page.Locator("#token-name").FillAsync("e2e script");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
            var secretBox = page.Locator("#token-secret");
            await Assertions.Expect(secretBox).ToBeVisibleAsync();
            var secret = await secretBox.InputValueAsync();
            Assert.StartsWith("cc_", secret, StringComparison.Ordinal);
            await Browser.ScreenshotAsync(page, "14-users-and-tokens");

            using var bearer = new HttpClient { BaseAddress = server.BaseAddress };
            bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
            using (var me = await bearer.GetAsync("api/v1/auth/me"))
            {
                Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            }

            // Shown once: after a reload the secret is nowhere on the page.
            await page.ReloadAsync();
            await WhenPageInteractiveAsync(page);
            var token = page.Locator("tbody tr", new() { Has = page.Locator("td.token-name:text-is('e2e script')") });
            await Assertions.Expect(token.Locator("td.token-state")).ToHaveTextAsync("active");
            Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

            await page.GetByRole(AriaRole.Button, new() { Name = "Revoke token e2e script" }).ClickAsync();
            await Assertions.Expect(token.Locator("td.token-state")).ToHaveTextAsync("revoked");
            using (var me = await bearer.GetAsync("api/v1/auth/me"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
            }

            using var admin = await server.SignedInClientAsync("admin", ConsoleServer.AdminPassword);
            foreach (var action in new[] { "user.create", "token.create", "token.revoke" })
            {
                var entries = await AuditAsync(admin, action, "ui");
                Assert.True(entries.Count == 1 && entries[0].GetProperty("result").GetString() == "success", $"{action}: {entries.Count} entries");
            }
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    /// <summary>A load or build through the progress hub leaves one audit entry when its stream ends: success, or failed with the reason.</summary>
    [Fact]
    public async Task Progress_streams_are_audited_when_they_end()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-progress-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            await using var server = ConsoleServer.Start(dataDir, []);
            var hubAudit = server.Services.GetRequiredService<HubAudit>();
            var caller = new HubCaller("u1", "admin", "cookie", "127.0.0.1", "/hubs/progress");

            await foreach (var _ in Messages(new ProgressMessage(null, null, null, null, null, null, "Loaded image: app:1", "sha256:abc"))
                .Audited(hubAudit, caller, ProgressAudit.LoadAction, "local", "archive", CancellationToken.None))
            {
            }

            await foreach (var _ in Messages(ProgressMessage.Failure("Dockerfile: unknown instruction FORM"))
                .Audited(hubAudit, caller, ProgressAudit.BuildAction, "local", "app:2", CancellationToken.None))
            {
            }

            using var admin = await server.SignedInClientAsync("admin", ConsoleServer.AdminPassword);
            var load = Assert.Single(await AuditAsync(admin, "image.load", "api"));
            Assert.Equal("success", load.GetProperty("result").GetString());
            Assert.Contains("sha256:abc", load.GetProperty("details").GetString(), StringComparison.Ordinal);
            var build = Assert.Single(await AuditAsync(admin, "image.build", "api"));
            Assert.Equal("failed", build.GetProperty("result").GetString());
            Assert.Equal("app:2", build.GetProperty("target").GetString());
            Assert.Contains("unknown instruction FORM", build.GetProperty("details").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

#pragma warning disable CS1998 // an iterator of fixed messages
    private static async IAsyncEnumerable<ProgressMessage> Messages(params ProgressMessage[] messages)
    {
        foreach (var message in messages)
        {
            yield return message;
        }
    }
#pragma warning restore CS1998

    /// <summary>
    /// Waits for the containers page's circuit: a prerendered page shows the buttons before they work, so the search
    /// box is typed into until the page answers (a click before that would be lost).
    /// </summary>
    private static async Task WhenInteractiveAsync(IPage page)
    {
        var count = page.Locator(".toolbar .count");
        for (var attempt = 0; ; attempt++)
        {
            await page.Locator("#container-search").FillAsync("no-such-container-" + attempt);
            try
            {
                await Assertions.Expect(count).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^0 of "), new() { Timeout = 1_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 30)
            {
            }
        }

        await page.Locator("#container-search").FillAsync("");
        await Assertions.Expect(count).Not.ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^0 of "));
    }

    /// <summary>Waits for the page's circuit (the pages of this test mark it with data-interactive).</summary>
    private static Task WhenPageInteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("[data-interactive=true]")).ToBeAttachedAsync(new() { Timeout = 15_000 });

    private static async Task<IPage> SignInAsync(Browser browser, ConsoleServer server)
    {
        var context = await browser.Instance.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "login").ToString());
        await page.FillAsync("#username", "admin");
        await page.FillAsync("#password", ConsoleServer.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    private static async Task<string> ContainerNameAsync(RealAgent agent, string id)
    {
        using var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{id}/json"));
        return inspect.RootElement.GetProperty("Name").GetString()!.TrimStart('/');
    }

    private static async Task<List<JsonElement>> AuditAsync(HttpClient admin, string action, string source)
    {
        var page = await admin.GetFromJsonAsync<JsonElement>($"api/v1/audit?action={Uri.EscapeDataString(action)}&source={source}");
        return page.GetProperty("items").EnumerateArray().ToList();
    }
}
