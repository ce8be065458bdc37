using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// The responsiveness figures in a real browser against the real server and agent (root): 500 containers on
/// the list (load, search, sort, scroll to the end) and a 100,000-line log (load, search, scroll to the top). The
/// timings are printed for the report, never asserted; what each step must show is asserted.
/// </summary>
[Collection(Browser.Collection)]
public sealed class ResponsivenessEndToEndTests(ITestOutputHelper output)
{
    private const int ContainerCount = 500;
    private const int LogLines = 100_000;

    [RequiresRootFact]
    public async Task Five_hundred_containers_and_a_hundred_thousand_log_lines_stay_usable()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-e2e-perf-" + Guid.NewGuid().ToString("N")[..10]);
        using var agent = await RealAgent.StartWithBusyboxAsync();
        var created = new System.Collections.Concurrent.ConcurrentBag<string>();
        try
        {
            var watch = Stopwatch.StartNew();
            // Created, not started: the list needs rows, not processes.
            await Parallel.ForEachAsync(Enumerable.Range(0, ContainerCount), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
                created.Add(await CreateAsync(agent, $"perf-{i:D3}", ct)));
            Report($"setup: {ContainerCount} containers created through the agent in {watch.ElapsedMilliseconds} ms");
            var logId = await agent.RunAsync($"busybox seq {LogLines}; sleep 3600");

            await using var server = ConsoleServer.Start(dataDir, [$"local={agent.Uri}"]);
            await using var browser = await Browser.LaunchAsync();
            var page = await ConsoleEndToEndTests.SignInAsync(browser, server, "admin", ConsoleServer.AdminPassword);
            await MeasureLogAsync(page, server, logId);
            await MeasureContainerListAsync(page, server);
        }
        finally
        {
            // The agent's dispose removes what is left one by one; 500 go faster side by side.
            await Parallel.ForEachAsync(created, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (id, ct) =>
                (await agent.Http.DeleteAsync($"containers/{id}?force=1", ct)).Dispose());
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private async Task MeasureContainerListAsync(IPage page, ConsoleServer server)
    {
        var total = ContainerCount + 1;
        var count = page.Locator(".toolbar .count");
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(new Uri(server.BaseAddress, "containers").ToString());
        await Assertions.Expect(count).ToHaveTextAsync($"{total} of {total}", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("tbody td.name a").First).ToBeVisibleAsync();
        var loaded = watch.ElapsedMilliseconds;
        // The prerendered page has every row; once interactive, the first 200 (and typing
        // into the search before that would be lost).
        await page.WaitForFunctionAsync(
            $"() => {{ const n = document.querySelectorAll('tbody td.name').length; return n > 0 && n < {total}; }}",
            null, new() { PollingInterval = 20, Timeout = 30_000 });
        var interactive = watch.ElapsedMilliseconds;
        var inDom = await page.Locator("tbody td.name").CountAsync();

        // perf-400 … perf-499: a hundred rows.
        watch.Restart();
        await page.FillAsync("#container-search", "perf-4");
        await Assertions.Expect(count).ToHaveTextAsync($"100 of {total}");
        await Assertions.Expect(page.Locator("tbody td.name a").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^perf-4"));
        var searched = watch.ElapsedMilliseconds;
        await page.FillAsync("#container-search", "perf-");
        await Assertions.Expect(count).ToHaveTextAsync($"{ContainerCount} of {total}");

        watch.Restart();
        var nameHeader = page.Locator("th", new() { Has = page.Locator("button.sort", new() { HasText = "Name" }) });
        // the table may already be sorted by name: a click then reverses it, so wait for the order to change, not
        // merely for some order (read right after the click, the attribute can still be the old one)
        var before = await nameHeader.GetAttributeAsync("aria-sort");
        await nameHeader.Locator("button.sort").ClickAsync();
        var expectedSort = before == "ascending" ? "descending" : "ascending";
        await Assertions.Expect(nameHeader).ToHaveAttributeAsync("aria-sort", expectedSort);
        var ascending = expectedSort == "ascending";
        var (first, last) = ascending ? ("perf-000", "perf-499") : ("perf-499", "perf-000");
        await Assertions.Expect(page.Locator("tbody td.name a").First).ToHaveTextAsync(first);
        var sorted = watch.ElapsedMilliseconds;

        // The table shows 200 rows at a time: show them all, then scroll the table to its last row.
        watch.Restart();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show all" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Show all" })).ToHaveCountAsync(0);
        var lastRow = page.Locator("tbody td.name a", new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^{last}$") });
        await lastRow.ScrollIntoViewIfNeededAsync();
        await Assertions.Expect(lastRow).ToBeInViewportAsync();
        var scrolled = watch.ElapsedMilliseconds;
        await Browser.ScreenshotAsync(page, "40-perf-containers-bottom");

        Report($"containers page, {total} containers: navigation to all rows shown (prerendered) {loaded} ms, to interactive with the first page of rows {interactive} ms ({inDom} rows in the DOM), search to 100 rows {searched} ms, sort by name {sorted} ms, scroll to the last row {scrolled} ms");
    }

    private async Task MeasureLogAsync(IPage page, ConsoleServer server, string id)
    {
        var status = page.Locator(".log-status");
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(new Uri(server.BaseAddress, $"containers/local/{id}?tab=logs").ToString());
        // The default tail (1000 lines) first, then all of them.
        await Assertions.Expect(status).ToContainTextAsync("of 1000 kept", new() { Timeout = 30_000 });
        var tailShown = watch.ElapsedMilliseconds;

        watch.Restart();
        await page.FillAsync(".log-toolbar input.tail", LogLines.ToString(CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Load", Exact = true }).ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync($"{LogLines} shown of {LogLines} kept", new() { Timeout = 30_000 });
        await ScrollUntilShownAsync(page, ".log", ".line .text", LogLines.ToString(CultureInfo.InvariantCulture), toTop: false);
        var allLoaded = watch.ElapsedMilliseconds;
        await Browser.ScreenshotAsync(page, "41-perf-log-bottom");

        var expectedMatches = Enumerable.Range(1, LogLines).Count(i => i.ToString(CultureInfo.InvariantCulture).Contains("777", StringComparison.Ordinal));
        watch.Restart();
        await page.FillAsync("#log-search", "777");
        await Assertions.Expect(status).ToContainTextAsync($"{expectedMatches} shown of {LogLines} kept", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator(".log .line mark").First).ToHaveTextAsync("777");
        var searched = watch.ElapsedMilliseconds;
        await page.FillAsync("#log-search", "");
        await Assertions.Expect(status).ToContainTextAsync($"{LogLines} shown of {LogLines} kept", new() { Timeout = 20_000 });

        watch.Restart();
        await ScrollUntilShownAsync(page, ".log", ".line .text", "1", toTop: true);
        var top = watch.ElapsedMilliseconds;
        var linesInDom = await page.Locator(".log .line").CountAsync();
        Assert.InRange(linesInDom, 1, LogLines - 1);
        await Browser.ScreenshotAsync(page, "42-perf-log-top");

        Report($"log view, {LogLines} lines: tab open to the default 1000-line tail {tailShown} ms, load of all lines to the last line shown {allLoaded} ms, search over all ({expectedMatches} matches) {searched} ms, scroll to the first line {top} ms ({linesInDom} lines in the DOM)");
    }

    /// <summary>
    /// Scrolls <paramref name="scroller"/> three screens at a time towards its end (or top) until an item with exactly <paramref name="text"/> is
    /// rendered (the log view's Virtualize renders the lines in view only, and follows the scroll position as it moves).
    /// </summary>
    private static async Task ScrollUntilShownAsync(IPage page, string scroller, string items, string text, bool toTop)
    {
        const string Script = """
            ([scroller, items, text, toTop]) => {
                const s = document.querySelector(scroller);
                s.scrollBy(0, toTop ? -s.clientHeight * 3 : s.clientHeight * 3);
                const shown = [...s.querySelectorAll(items)].map(e => e.textContent.trim());
                return { found: shown.includes(text), first: shown[0] ?? '', last: shown[shown.length - 1] ?? '', top: s.scrollTop, height: s.scrollHeight,
                         spacers: [...s.querySelectorAll('[style*=height]')].map(e => e.tagName + ' ' + e.getAttribute('style') + ' ' + e.offsetHeight) };
            }
            """;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var state = await page.EvaluateAsync<JsonElement>(Script, new object[] { scroller, items, text, toTop });
            if (state.GetProperty("found").GetBoolean())
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"'{text}' never rendered while scrolling {scroller}: {state}");
            await Task.Delay(50);
        }
    }

    private static async Task<string> CreateAsync(RealAgent agent, string name, CancellationToken ct)
    {
        using var response = await agent.Http.PostAsJsonAsync($"containers/create?name={name}", new
        {
            RealAgent.Image,
            Cmd = new[] { "true" },
            HostConfig = new { NetworkMode = "none" },
        }, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("Id").GetString()!;
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine("[responsiveness] " + line);
    }
}
