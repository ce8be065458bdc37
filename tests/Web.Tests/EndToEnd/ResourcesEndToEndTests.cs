using System.Net.Http.Json;
using ContainerConsole.Tests;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static ContainerConsole.Web.Tests.EndToEnd.ConsoleEndToEndTests;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// The images, volumes and networks pages in Debian's chromium against the real server and a real agent (root):
/// upload a busybox archive through the page, build a two-line Dockerfile from it (output and new image shown), look
/// at its history, remove it; create and remove a volume and a network. Each change is in the audit log, and a
/// viewer's forced remove is refused and audited. (No registry here, so no pull.)
/// </summary>
[Collection(Browser.Collection)]
public sealed class ResourcesEndToEndTests
{
    private const string ViewerPassword = "viewer-password-5678";
    private const string NetworkName = "e2e-net-ui";
    private const string Subnet = "10.213.77.0/24";

    [RequiresRootFact]
    public async Task Operator_loads_builds_and_removes_images_and_manages_volumes_and_networks()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-e2e-" + Guid.NewGuid().ToString("N")[..10]);
        using var agent = await RealAgent.StartAsync();
        try
        {
            await using var server = ConsoleServer.Start(dataDir, [$"local={agent.Uri}"]);
            using var admin = await server.SignedInClientAsync("admin", ConsoleServer.AdminPassword);
            using (var created = await admin.PostAsJsonAsync("api/v1/users", new { username = "vera", password = ViewerPassword, role = "viewer" }))
            {
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }

            await using var browser = await Browser.LaunchAsync();
            var page = await SignInAsync(browser, server, "admin", ConsoleServer.AdminPassword);
            await page.GotoAsync(new Uri(server.BaseAddress, "images").ToString());
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Images");

            // Load: the archive goes through the page's file input, the server streams it to the agent.
            await OpenPanelAsync(page, "Load an archive", "#load-file");
            await page.Locator("#load-file").SetInputFilesAsync(new FilePayload
            {
                Name = "e2ebox.tar",
                MimeType = "application/x-tar",
                Buffer = RealAgent.BusyboxArchive("e2ebox:1", "e2e"),
            });
            await page.GetByRole(AriaRole.Button, new() { Name = "Load", Exact = true }).ClickAsync();
            var loaded = Row(page, "e2ebox");
            await Assertions.Expect(loaded).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator(".image-progress .output")).ToContainTextAsync("e2ebox:1");
            await Browser.ScreenshotAsync(page, "10-images-loaded");

            // Build FROM it: the output lines and the new image.
            await OpenPanelAsync(page, "Build", "#build-dockerfile");
            await page.Locator("#build-dockerfile").FillAsync("FROM e2ebox:1\nRUN echo built-by-the-console > /built && cat /built");
            await page.Locator("#build-tags").FillAsync("e2ebuilt:1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Build", Exact = true }).ClickAsync();
            var built = Row(page, "e2ebuilt");
            await Assertions.Expect(built).ToBeVisibleAsync(new() { Timeout = 120_000 });
            var output = page.Locator("section[aria-label='Build'] .output");
            await Assertions.Expect(output).ToContainTextAsync("built-by-the-console");
            await Assertions.Expect(output).ToContainTextAsync("Step 2/2");
            await Browser.ScreenshotAsync(page, "11-images-built");

            // The built image's page: history with the RUN step.
            await built.Locator("a[aria-label='Details of e2ebuilt:1']").ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("e2ebuilt:1");
            await Assertions.Expect(page.Locator("table.history")).ToContainTextAsync("built-by-the-console");
            await Browser.ScreenshotAsync(page, "12-image-detail");

            // A viewer's forced remove through the service is refused and audited; the image stays.
            var viewerId = await UserIdAsync(admin, "vera");
            await using (var scope = server.Services.CreateAsyncScope())
            {
                var state = (IHostEnvironmentAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
                state.SetAuthenticationState(Task.FromResult(new AuthenticationState(Principal(viewerId, "vera", "viewer"))));
                var images = scope.ServiceProvider.GetRequiredService<IImageService>();
                var refused = await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() => images.RemoveAsync("local", "e2ebuilt:1", true, CancellationToken.None));
                Assert.Contains("viewer", refused.Message, StringComparison.Ordinal);
            }

            Assert.Equal("denied", Assert.Single(await AuditAsync(admin, "image.remove")).GetProperty("result").GetString());

            // Remove it from the list.
            await page.GotoAsync(new Uri(server.BaseAddress, "images").ToString());
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove e2ebuilt:1", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Confirm removing e2ebuilt:1" }).ClickAsync();
            await Assertions.Expect(Row(page, "e2ebuilt")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Assertions.Expect(Row(page, "e2ebox")).ToBeVisibleAsync();
            using (var gone = await agent.Http.GetAsync("images/e2ebuilt:1/json"))
            {
                Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
            }

            foreach (var action in new[] { "image.load", "image.build" })
            {
                Assert.Equal("success", Assert.Single(await AuditAsync(admin, action)).GetProperty("result").GetString());
            }

            Assert.Contains(await AuditAsync(admin, "image.remove"), e => e.GetProperty("result").GetString() == "success");

            // Volumes: create, see, remove.
            await page.GotoAsync(new Uri(server.BaseAddress, "volumes").ToString());
            await OpenPanelAsync(page, "Create a volume", "#volume-name");
            await page.Locator("#volume-name").FillAsync("e2e-vol");
            await page.Locator("#volume-labels").FillAsync("made-by=e2e");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
            var volume = page.Locator("tbody tr", new() { Has = page.Locator("td.name:text-is('e2e-vol')") });
            await Assertions.Expect(volume).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Browser.ScreenshotAsync(page, "13-volumes");
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove volume e2e-vol", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Confirm removing volume e2e-vol" }).ClickAsync();
            await Assertions.Expect(volume).ToHaveCountAsync(0, new() { Timeout = 30_000 });

            // Networks: create with a subnet and gateway, see them, remove.
            await page.GotoAsync(new Uri(server.BaseAddress, "networks").ToString());
            await OpenPanelAsync(page, "Create a network", "#network-name");
            await page.Locator("#network-name").FillAsync(NetworkName);
            await page.Locator("#network-subnet").FillAsync(Subnet);
            await page.Locator("#network-gateway").FillAsync("10.213.77.1");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
            var network = page.Locator("tbody tr", new() { Has = page.Locator($"td.name:text-is('{NetworkName}')") });
            await Assertions.Expect(network).ToContainTextAsync(Subnet, new() { Timeout = 30_000 });
            await Assertions.Expect(network).ToContainTextAsync("10.213.77.1");
            await Browser.ScreenshotAsync(page, "14-networks");
            await page.GetByRole(AriaRole.Button, new() { Name = $"Remove network {NetworkName}", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = $"Confirm removing network {NetworkName}" }).ClickAsync();
            await Assertions.Expect(network).ToHaveCountAsync(0, new() { Timeout = 30_000 });

            foreach (var action in new[] { "volume.create", "volume.remove", "network.create", "network.remove" })
            {
                Assert.Equal("success", Assert.Single(await AuditAsync(admin, action)).GetProperty("result").GetString());
            }

            // The viewer sees the lists with no change controls.
            var viewer = await SignInAsync(browser, server, "vera", ViewerPassword);
            await viewer.GotoAsync(new Uri(server.BaseAddress, "images").ToString());
            await Assertions.Expect(Row(viewer, "e2ebox")).ToBeVisibleAsync();
            Assert.Equal(0, await viewer.Locator("button.action").CountAsync());
            Assert.Equal(0, await viewer.Locator("details.panel").CountAsync());
            await Browser.ScreenshotAsync(viewer, "15-viewer-images");
        }
        finally
        {
            // On failure, leave no bridge behind (the page removes it on success).
            using (await agent.Http.DeleteAsync($"networks/{NetworkName}"))
            {
            }

            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    /// <summary>Opens a collapsed panel (change controls appear once the page is interactive).</summary>
    private static async Task OpenPanelAsync(IPage page, string summary, string field)
    {
        await page.Locator("summary", new() { HasText = summary }).ClickAsync();
        await Assertions.Expect(page.Locator(field)).ToBeVisibleAsync();
    }

    private static ILocator Row(IPage page, string repository) =>
        page.Locator("tbody tr", new() { Has = page.Locator($"td.repository:text-is('{repository}')") });
}
