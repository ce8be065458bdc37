using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.Playwright;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// Container work in a real browser against the real server and agent (root): run a container from the run dialog,
/// open a shell in it and see its host name come back.
/// </summary>
public sealed class ContainerWorkEndToEndTests
{
    [RequiresRootFact]
    public async Task Operator_runs_a_container_from_the_dialog_and_uses_its_terminal()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-e2e-run-" + Guid.NewGuid().ToString("N")[..10]);
        using var agent = await RealAgent.StartWithBusyboxAsync();
        try
        {
            await using var server = ConsoleServer.Start(dataDir, [$"local={agent.Uri}"]);
            using var admin = await server.SignedInClientAsync("admin", ConsoleServer.AdminPassword);
            await using var browser = await Browser.LaunchAsync();
            var page = await ConsoleEndToEndTests.SignInAsync(browser, server, "admin", ConsoleServer.AdminPassword);
            await page.GotoAsync(new Uri(server.BaseAddress, "containers").ToString());

            // The run dialog: the host's image is suggested, the docker run line follows the fields.
            var dialog = page.Locator("dialog.run-dialog");
            await ClickUntilAsync(page.GetByRole(AriaRole.Button, new() { Name = "Run container…" }), dialog);
            await Assertions.Expect(dialog.Locator($"#run-image-tags option[value='{RealAgent.Image}']")).ToHaveCountAsync(1);
            await dialog.GetByLabel("Image", new() { Exact = true }).FillAsync(RealAgent.Image);
            await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync("e2e-run");
            await dialog.GetByLabel("Command", new() { Exact = true }).FillAsync("sh -c 'while true; do sleep 1; done'");
            await dialog.GetByLabel("Host name").FillAsync("e2e-shell");
            await dialog.GetByLabel("Memory").FillAsync("64m");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Show as docker run command" }).ClickAsync();
            await Assertions.Expect(dialog.Locator("#run-command")).ToHaveTextAsync(
                $"docker run -d --name e2e-run --hostname e2e-shell --memory 64m {RealAgent.Image} sh -c 'while true; do sleep 1; done'");
            await Browser.ScreenshotAsync(page, "10-run-dialog");

            await dialog.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("e2e-run", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator(".summary .badge").First).ToHaveTextAsync("running");
            using (var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync("containers/e2e-run/json")))
            {
                Assert.True(inspect.RootElement.GetProperty("State").GetProperty("Running").GetBoolean());
                Assert.Equal(64L * 1024 * 1024, inspect.RootElement.GetProperty("HostConfig").GetProperty("Memory").GetInt64());
            }

            var run = Assert.Single(await ConsoleEndToEndTests.AuditAsync(admin, "container.run"));
            Assert.Equal("success", run.GetProperty("result").GetString());

            // The terminal: type a command, read its answer from the container.
            await page.GetByRole(AriaRole.Tab, new() { Name = "Terminal" }).ClickAsync();
            await Assertions.Expect(page.Locator(".terminal-bar .status.open")).ToBeVisibleAsync(new() { Timeout = 20_000 });
            await page.Locator(".terminal-screen").ClickAsync();
            await page.Keyboard.TypeAsync("hostname\n");
            await Assertions.Expect(page.Locator(".terminal-screen .xterm-rows")).ToContainTextAsync("e2e-shell", new() { Timeout = 10_000 });
            // Only the shell's answer can hold the name: the typed line is "hostname" and busybox's prompt is "/ # ".
            await Browser.ScreenshotAsync(page, "11-container-terminal");

            // The resources tab, in a second tab of the same session while the shell stays open: the memory graph
            // follows the container as the shell takes 24 MiB more.
            var resources = await page.Context.NewPageAsync();
            await resources.GotoAsync(new Uri(server.BaseAddress, $"containers/local/e2e-run?tab=resources").ToString());
            var memory = resources.Locator(".metric-memory .legend.a .current");
            await Assertions.Expect(memory).ToContainTextAsync("iB", new() { Timeout = 20_000 });
            await Assertions.Expect(resources.Locator(".metric-memory .legend.limit strong")).ToHaveTextAsync("64 MiB");
            var before = MiB(await memory.InnerTextAsync());
            var pointsBefore = await resources.Locator(".metric-memory polyline").GetAttributeAsync("points");
            await page.Locator(".terminal-screen").ClickAsync();
            await page.Keyboard.TypeAsync("x=$(dd if=/dev/zero bs=1048576 count=24 2>/dev/null | tr '\\0' a); echo held ${#x}\n");
            await Assertions.Expect(page.Locator(".terminal-screen .xterm-rows")).ToContainTextAsync("held 25165824", new() { Timeout = 20_000 });
            await resources.WaitForFunctionAsync(
                $"() => {{ const t = document.querySelector('.metric-memory .legend.a .current')?.textContent ?? ''; return t.endsWith('MiB') && parseFloat(t) > {before.ToString(System.Globalization.CultureInfo.InvariantCulture)} + 16; }}",
                null, new() { Timeout = 20_000 });
            Assert.NotEqual(pointsBefore, await resources.Locator(".metric-memory polyline").GetAttributeAsync("points"));
            await Browser.ScreenshotAsync(resources, "12-container-resources");

            // Processes, security, the systemd unit and commit, each from the real agent.
            await resources.GetByRole(AriaRole.Tab, new() { Name = "Processes" }).ClickAsync();
            await Assertions.Expect(resources.Locator("table.processes tbody tr", new() { HasText = "sleep" }).First).ToBeVisibleAsync(new() { Timeout = 10_000 });
            await Browser.ScreenshotAsync(resources, "13-container-processes");
            await resources.GetByRole(AriaRole.Tab, new() { Name = "Security" }).ClickAsync();
            await Assertions.Expect(resources.Locator("dl.security")).ToContainTextAsync("Masked paths");
            await Assertions.Expect(resources.Locator("dl.security")).ToContainTextAsync("/proc/kcore"); // the agent's inspect reports them now
            await Browser.ScreenshotAsync(resources, "14-container-security");
            await resources.GetByRole(AriaRole.Tab, new() { Name = "Systemd unit" }).ClickAsync();
            await Assertions.Expect(resources.Locator("pre.unit")).ToContainTextAsync("--name e2e-run --hostname e2e-shell");
            await Browser.ScreenshotAsync(resources, "15-container-systemd-unit");
            await resources.GetByRole(AriaRole.Tab, new() { Name = "Commit" }).ClickAsync();
            await resources.GetByLabel("Repository").FillAsync("e2e/committed");
            await resources.GetByLabel("Tag").FillAsync("v1");
            await resources.GetByLabel("Message").FillAsync("from the console");
            await resources.GetByRole(AriaRole.Button, new() { Name = "Commit", Exact = true }).ClickAsync();
            await Assertions.Expect(resources.Locator(".done")).ToContainTextAsync("e2e/committed:v1", new() { Timeout = 30_000 });
            await Browser.ScreenshotAsync(resources, "16-container-commit");
            using (var image = JsonDocument.Parse(await agent.Http.GetStringAsync("images/e2e/committed:v1/json")))
            {
                Assert.Equal("from the console", image.RootElement.GetProperty("Comment").GetString());
            }

            Assert.Equal("success", Assert.Single(await ConsoleEndToEndTests.AuditAsync(admin, "container.commit")).GetProperty("result").GetString());

            var opened = Assert.Single(await ConsoleEndToEndTests.AuditAsync(admin, "terminal.open"));
            Assert.Equal("admin", opened.GetProperty("user").GetString());
            Assert.Equal("success", opened.GetProperty("result").GetString());
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    /// <summary>A figure as the graphs print it (e.g. "812 KiB", "1.5 MiB") in MiB.</summary>
    private static double MiB(string text)
    {
        var parts = text.Split(' ');
        var value = double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        return parts[1] switch { "B" => value / 1048576, "KiB" => value / 1024, "MiB" => value, "GiB" => value * 1024, _ => throw new FormatException(text) };
    }

    /// <summary>
    /// Clicks until <paramref name="appears"/> shows: the page is prerendered, and a click before its circuit is
    /// connected has no handler yet.
    /// </summary>
    internal static async Task ClickUntilAsync(ILocator button, ILocator appears)
    {
        for (var attempt = 0; ; attempt++)
        {
            await button.ClickAsync();
            try
            {
                await Assertions.Expect(appears).ToBeVisibleAsync(new() { Timeout = 1_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 30)
            {
            }
        }
    }
}
