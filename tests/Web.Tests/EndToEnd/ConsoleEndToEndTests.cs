using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// The console in a real browser (Debian's chromium) against the real server and a real agent (root): sign in,
/// see a container print, stop it from the page, find the audit entry; a viewer gets no stop button and a forced
/// stop through the service is refused and audited.
/// </summary>
[Collection(Browser.Collection)]
public sealed class ConsoleEndToEndTests
{
    private const string ViewerPassword = "viewer-password-1234";

    [RequiresRootFact]
    public async Task Operator_follows_logs_and_stops_a_container_viewer_is_refused()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-e2e-" + Guid.NewGuid().ToString("N")[..10]);
        using var agent = await RealAgent.StartWithBusyboxAsync();
        try
        {
            await using var server = ConsoleServer.Start(dataDir, [$"local={agent.Uri}"]);
            using var admin = await server.SignedInClientAsync("admin", ConsoleServer.AdminPassword);
            using (var created = await admin.PostAsJsonAsync("api/v1/users", new { username = "vera", password = ViewerPassword, role = "viewer" }))
            {
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }

            var id = await agent.RunAsync("i=0; while true; do echo \"tick $i\"; i=$((i+1)); sleep 0.1; done");
            var name = await ContainerNameAsync(agent, id);

            await using var browser = await Browser.LaunchAsync();

            // The operator's (admin's) session.
            var page = await SignInAsync(browser, server, "admin", ConsoleServer.AdminPassword);
            await page.GotoAsync(new Uri(server.BaseAddress, "containers").ToString());
            var row = page.Locator("tbody tr", new() { Has = page.Locator($"td.name a:text-is('{name}')") });
            await Assertions.Expect(row).ToBeVisibleAsync();
            await Assertions.Expect(row.Locator(".status")).ToContainTextAsync("running");
            await Browser.ScreenshotAsync(page, "01-containers");

            await row.Locator("td.name a").ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(name);
            await Browser.ScreenshotAsync(page, "02-container-overview");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Logs" }).ClickAsync();
            var lines = page.Locator(".log .line");
            await Assertions.Expect(lines.First).ToContainTextAsync("tick");
            var firstCount = await page.Locator(".log-status").InnerTextAsync();
            // New lines arrive while the page is open: the kept count grows past what was there.
            var kept = KeptLines(firstCount);
            await Assertions.Expect(page.Locator(".log-status")).Not.ToContainTextAsync($"of {kept} kept", new() { Timeout = 10_000 });
            Assert.True(KeptLines(await page.Locator(".log-status").InnerTextAsync()) > kept);
            await Browser.ScreenshotAsync(page, "03-container-logs");

            // The download streams the same logs as a file, for this signed-in browser (its cookie).
            var download = await page.Context.APIRequest.GetAsync(new Uri(server.BaseAddress, await page.GetByRole(AriaRole.Link, new() { Name = "Download" }).GetAttributeAsync("href")).ToString());
            Assert.Equal(200, download.Status);
            Assert.Contains("attachment", download.Headers["content-disposition"], StringComparison.Ordinal);
            Assert.Contains("tick 0\n", await download.TextAsync(), StringComparison.Ordinal);

            // The theme toggle switches and is remembered across a reload.
            var theme = await page.EvaluateAsync<string>("document.documentElement.dataset.theme");
            await page.GetByRole(AriaRole.Button, new() { Name = "Switch between dark and light theme" }).ClickAsync();
            var toggled = theme == "dark" ? "light" : "dark";
            Assert.Equal(toggled, await page.EvaluateAsync<string>("document.documentElement.dataset.theme"));
            await page.ReloadAsync();
            Assert.Equal(toggled, await page.EvaluateAsync<string>("document.documentElement.dataset.theme"));
            // the reloaded page is prerendered first: a click before its circuit is up is lost, so click until the tab is on
            var logsTab = page.GetByRole(AriaRole.Tab, new() { Name = "Logs" });
            for (var attempt = 0; ; attempt++)
            {
                await logsTab.ClickAsync();
                try
                {
                    await Assertions.Expect(logsTab).ToHaveAttributeAsync("aria-selected", "true", new() { Timeout = 1_000 });
                    break;
                }
                catch (PlaywrightException) when (attempt < 15)
                {
                }
            }
            await Assertions.Expect(lines.First).ToContainTextAsync("tick");
            await Browser.ScreenshotAsync(page, "03b-container-logs-" + toggled);

            // The viewer watches the list while the operator stops the container: the row changes without a reload.
            var viewer = await SignInAsync(browser, server, "vera", ViewerPassword);
            await viewer.GotoAsync(new Uri(server.BaseAddress, "containers").ToString());
            var viewerRow = viewer.Locator("tbody tr", new() { Has = viewer.Locator($"td.name a:text-is('{name}')") });
            await Assertions.Expect(viewerRow.Locator(".status")).ToContainTextAsync("running");

            await page.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator(".summary .badge").First).ToHaveTextAsync("exited", new() { Timeout = 30_000 });
            Assert.False(await IsRunningAsync(agent, id));
            await Browser.ScreenshotAsync(page, "04-container-stopped");

            var stops = await AuditAsync(admin, "container.stop", "ui");
            var stop = Assert.Single(stops);
            Assert.Equal("admin", stop.GetProperty("user").GetString());
            Assert.Equal("success", stop.GetProperty("result").GetString());
            Assert.Equal($"local/{id}", stop.GetProperty("target").GetString());

            // The viewer's session: the same pages, no action buttons.
            await Assertions.Expect(viewerRow.Locator(".status")).ToContainTextAsync("exited", new() { Timeout = 10_000 });
            Assert.Equal(0, await viewer.Locator("button.action").CountAsync());
            await Browser.ScreenshotAsync(viewer, "05-viewer-containers");
            await viewer.GotoAsync(new Uri(server.BaseAddress, $"containers/local/{id}").ToString());
            await Assertions.Expect(viewer.Locator("dl.overview")).ToBeVisibleAsync();
            Assert.Equal(0, await viewer.GetByRole(AriaRole.Button, new() { Name = "Start", Exact = true }).CountAsync());
            Assert.Equal(0, await viewer.GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).CountAsync());
            await Browser.ScreenshotAsync(viewer, "06-viewer-container");

            // A forced call: the service itself, as the viewer's circuit would call it.
            var viewerId = await UserIdAsync(admin, "vera");
            await using (var scope = server.Services.CreateAsyncScope())
            {
                var state = (IHostEnvironmentAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
                state.SetAuthenticationState(Task.FromResult(new AuthenticationState(Principal(viewerId, "vera", "viewer"))));
                var actions = scope.ServiceProvider.GetRequiredService<IContainerActions>();
                var refused = await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() => actions.RunAsync(ContainerAction.Start, "local", id, CancellationToken.None));
                Assert.Contains("viewer", refused.Message, StringComparison.Ordinal);
            }

            Assert.False(await IsRunningAsync(agent, id));
            var denied = Assert.Single(await AuditAsync(admin, "container.start", "ui"));
            Assert.Equal("vera", denied.GetProperty("user").GetString());
            Assert.Equal("denied", denied.GetProperty("result").GetString());
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    internal static async Task<IPage> SignInAsync(Browser browser, ConsoleServer server, string user, string password)
    {
        var context = await browser.Instance.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "login").ToString());
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    private static int KeptLines(string status)
    {
        var match = System.Text.RegularExpressions.Regex.Match(status, @"of (\d+) kept");
        Assert.True(match.Success, status);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> ContainerNameAsync(RealAgent agent, string id)
    {
        using var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{id}/json"));
        return inspect.RootElement.GetProperty("Name").GetString()!.TrimStart('/');
    }

    private static async Task<bool> IsRunningAsync(RealAgent agent, string id)
    {
        using var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{id}/json"));
        return inspect.RootElement.GetProperty("State").GetProperty("Running").GetBoolean();
    }

    internal static async Task<List<JsonElement>> AuditAsync(HttpClient admin, string action, string? source = null)
    {
        var page = await admin.GetFromJsonAsync<JsonElement>($"api/v1/audit?action={Uri.EscapeDataString(action)}" + (source is null ? "" : $"&source={source}"));
        return page.GetProperty("items").EnumerateArray().ToList();
    }

    internal static async Task<string> UserIdAsync(HttpClient admin, string name)
    {
        var users = await admin.GetFromJsonAsync<JsonElement>("api/v1/users");
        var list = users.ValueKind == JsonValueKind.Array ? users : users.GetProperty("items");
        return list.EnumerateArray().Single(u => u.GetProperty("username").GetString() == name).GetProperty("id").GetString()!;
    }

    internal static ClaimsPrincipal Principal(string id, string name, string role) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role), new Claim("cc:auth_method", "cookie")],
            "Cookies", ClaimTypes.Name, ClaimTypes.Role));
}
