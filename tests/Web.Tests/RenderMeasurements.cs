using System.Diagnostics;
using Bunit;
using ContainerConsole.Web.Components.Logs;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using ContainersPage = ContainerConsole.Web.Components.Pages.Containers;

namespace ContainerConsole.Web.Tests;

/// <summary>
/// Large lists stay cheap because only a page of rows, or the log lines in view, are rendered: these check that (500 containers, 100k log
/// lines) and print how long rendering took, for the record; timings are reported, never asserted.
/// </summary>
public sealed class RenderMeasurements(ITestOutputHelper output) : BunitContext
{
    [Fact]
    public void Five_hundred_containers_render_one_page_of_rows_until_more_are_asked_for()
    {
        var containers = Enumerable.Range(0, 500)
            .Select(i => TestContainers.Make($"c{i:D3}", host: $"h{i % 3}", state: i % 4 == 0 ? "exited" : "running", image: $"img{i % 7}:1"))
            .ToArray();
        Use(new FakeContainerFeed(containers), new FakeLogFeed([]));

        var watch = Stopwatch.StartNew();
        var page = Render<ContainersPage>();
        page.WaitForAssertion(() => Assert.Equal(500, page.Instance.Rows.Count));
        var first = watch.Elapsed;

        watch.Restart();
        page.Find("#container-search").Input("c4");
        var filtered = watch.Elapsed;
        Assert.Equal(100, page.Instance.Rows.Count);

        watch.Restart();
        page.Find("#container-search").Input("");
        page.FindAll("th button.sort").Single(b => b.TextContent.StartsWith("Created", StringComparison.Ordinal)).Click();
        var sorted = watch.Elapsed;

        var rendered = page.FindAll("tbody td.name").Count;
        output.WriteLine($"500 containers: first render {first.TotalMilliseconds:0} ms, search {filtered.TotalMilliseconds:0} ms, sort {sorted.TotalMilliseconds:0} ms, rows in the DOM {rendered}");
        Assert.Equal(ContainersPage.PageSize, rendered);

        page.FindAll("button").Single(b => b.TextContent == "Show all").Click();
        Assert.Equal(500, page.FindAll("tbody td.name").Count);
    }

    [Fact]
    public async Task A_hundred_thousand_log_lines_render_only_the_lines_in_view()
    {
        Use(new FakeContainerFeed([]), new FakeLogFeed([]));
        var view = Render<LogView>(p => p.Add(x => x.Host, "h").Add(x => x.ContainerId, "c"));
        var lines = Enumerable.Range(0, 100_000)
            .Select(i => new LogLine(i % 10 == 0 ? LogSource.Stderr : LogSource.Stdout, DateTimeOffset.UnixEpoch.AddMilliseconds(i), $"\u001b[3{i % 8}mline {i}\u001b[0m payload {i * 7}"))
            .ToList();

        var watch = Stopwatch.StartNew();
        await view.InvokeAsync(() => view.Instance.AddLinesAsync(lines));
        var added = watch.Elapsed;
        Assert.Equal(100_000, view.Instance.Buffer.Kept);

        watch.Restart();
        view.Find("#log-search").Input("payload 7");
        var searched = watch.Elapsed;

        watch.Restart();
        await view.InvokeAsync(() => view.Instance.AddLinesAsync(lines.Take(1000)));
        var more = watch.Elapsed;

        var rendered = view.FindAll(".line").Count;
        output.WriteLine($"100k log lines: add+render {added.TotalMilliseconds:0} ms, search over all {searched.TotalMilliseconds:0} ms ({view.Instance.Buffer.Count} matches), 1000 more lines {more.TotalMilliseconds:0} ms, lines in the DOM {rendered}");
        Assert.Equal(100_000, view.Instance.Buffer.Kept);
        Assert.Equal(1000, view.Instance.Buffer.Dropped);
        Assert.InRange(rendered, 1, 1000);
    }

    private void Use(IContainerFeed feed, ILogFeed logs)
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerActions>(new FakeContainerActions());
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Operator));
        Services.AddSingleton(feed);
        Services.AddSingleton(logs);
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }
}
