using Bunit;
using ContainerConsole.Web.Components.Logs;
using ContainerConsole.Web.Components.Pages;
using ContainersPage = ContainerConsole.Web.Components.Pages.Containers;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>The pages rendered by bUnit with fake services: what a viewer and an operator see and can do.</summary>
public sealed class PageTests : BunitContext
{
    private readonly FakeContainerActions _actions = new();

    private void UseServices(ConsoleRights rights, IContainerFeed feed, ILogFeed? logs = null)
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerActions>(_actions);
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(rights));
        Services.AddSingleton(feed);
        Services.AddSingleton<IContainerDetailsService>(new FakeDetails());
        Services.AddSingleton(logs ?? new FakeLogFeed([]));
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    private static FakeContainerFeed Feed(params ContainerSummary[] containers) => new(containers);

    [Fact]
    public void A_viewer_sees_the_containers_but_no_action_buttons()
    {
        UseServices(FakeAccess.Viewer, Feed(TestContainers.Make("web"), TestContainers.Make("old", state: "exited")));

        var page = Render<ContainersPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody td.name").Count));
        Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Trim() is "Stop" or "Start" or "Restart" or "Remove…");
        Assert.Empty(page.FindAll("input[type=checkbox]"));
    }

    [Fact]
    public void An_operator_stops_a_container_from_its_row()
    {
        UseServices(FakeAccess.Operator, Feed(TestContainers.Make("web", host: "h1")));

        var page = Render<ContainersPage>();
        page.WaitForElement("button[aria-label='Stop web']").Click();

        var call = Assert.Single(_actions.Calls);
        Assert.Equal((ContainerAction.Stop, "h1", TestContainers.Make("web").Id), call);
    }

    [Fact]
    public void A_refused_action_shows_the_reason()
    {
        UseServices(FakeAccess.Operator, Feed(TestContainers.Make("web")));
        _actions.Refuse = "Your role (viewer) may not stop containers; an operator or admin may.";

        var page = Render<ContainersPage>();
        page.WaitForElement("button[aria-label='Stop web']").Click();

        var alert = page.WaitForElement(".error-display");
        Assert.Contains("Could not stop web:", alert.TextContent, StringComparison.Ordinal);
        Assert.Contains("Your role (viewer) may not stop containers", alert.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Bulk_stop_acts_on_the_selected_containers_only()
    {
        UseServices(FakeAccess.Operator, Feed(TestContainers.Make("a"), TestContainers.Make("b"), TestContainers.Make("c")));

        var page = Render<ContainersPage>();
        page.WaitForElement("input[aria-label='Select a']").Change(true);
        page.Find("input[aria-label='Select c']").Change(true);
        page.FindAll(".bulk button").Single(b => b.TextContent == "Stop").Click();

        Assert.Equal(["a", "c"], _actions.Calls.Select(c => c.Id[..1]).ToArray());
        Assert.All(_actions.Calls, c => Assert.Equal(ContainerAction.Stop, c.Action));
    }

    [Fact]
    public void Search_filter_and_sorting_change_the_rows()
    {
        UseServices(FakeAccess.Viewer, Feed(
            TestContainers.Make("web", image: "nginx:1"), TestContainers.Make("db", state: "exited", image: "postgres:16"), TestContainers.Make("api", image: "nginx:1")));

        var page = Render<ContainersPage>();
        page.WaitForAssertion(() => Assert.Equal(["api", "db", "web"], RowNames(page)));

        page.Find("#container-search").Input("nginx");
        Assert.Equal(["api", "web"], RowNames(page));

        page.FindAll("th button.sort").Single(b => b.TextContent.StartsWith("Name", StringComparison.Ordinal)).Click();
        Assert.Equal(["web", "api"], RowNames(page));

        page.Find("#container-search").Input("");
        page.Find("#state-filter").Change("exited");
        Assert.Equal(["db"], RowNames(page));
    }

    [Fact]
    public void Live_updates_replace_a_hosts_containers()
    {
        var feed = Feed(TestContainers.Make("web", host: "h1"));
        UseServices(FakeAccess.Viewer, feed);

        var page = Render<ContainersPage>();
        page.WaitForAssertion(() => Assert.Equal(["web"], RowNames(page)));

        feed.Push(new ContainerFeedUpdate(["h1"], [TestContainers.Make("web", host: "h1", state: "exited"), TestContainers.Make("new", host: "h1")], [], IsSnapshot: false));

        page.WaitForAssertion(() => Assert.Equal(["new", "web"], RowNames(page)));
        Assert.Contains("exited", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Published_ports_are_links_to_the_host_address()
    {
        UseServices(FakeAccess.Viewer, Feed(TestContainers.Make("web", ports: [new PortMapping("0.0.0.0", 80, 8080, "tcp"), new PortMapping("::", 80, 8080, "tcp"), new PortMapping(null, 443, null, "tcp")])));

        var page = Render<ContainersPage>();

        var link = Assert.Single(page.WaitForElements(".ports a"));
        Assert.Equal("http://localhost:8080", link.GetAttribute("href"));
    }

    [Fact]
    public void The_detail_page_hides_actions_from_a_viewer_and_shows_them_to_an_operator()
    {
        UseServices(FakeAccess.Viewer, Feed());
        var viewer = Render<ContainerDetail>(p => p.Add(x => x.Host, "h1").Add(x => x.Id, "abc"));
        viewer.WaitForElement("dl.overview");
        Assert.DoesNotContain(viewer.FindAll("button"), b => b.TextContent == "Stop");

        using var other = new BunitContext();
        other.Services.AddSingleton<IContainerActions>(_actions);
        other.Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Operator));
        other.Services.AddSingleton<IContainerDetailsService>(new FakeDetails());
        other.Services.AddSingleton<ILogFeed>(new FakeLogFeed([]));
        other.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var operatorPage = other.Render<ContainerDetail>(p => p.Add(x => x.Host, "h1").Add(x => x.Id, "abc"));
        operatorPage.WaitForElement("dl.overview");
        operatorPage.FindAll("button").Single(b => b.TextContent == "Stop").Click();
        Assert.Equal((ContainerAction.Stop, "h1", "abc"), Assert.Single(_actions.Calls));
    }

    [Fact]
    public void The_log_view_renders_ansi_as_classes_escapes_markup_and_highlights_search()
    {
        var lines = new List<LogLine>
        {
            new(LogSource.Stdout, DateTimeOffset.UnixEpoch, "\u001b[32mready\u001b[0m on port 80"),
            new(LogSource.Stderr, DateTimeOffset.UnixEpoch, "<script>alert(1)</script> failed"),
        };
        UseServices(FakeAccess.Viewer, Feed(), new FakeLogFeed(lines));

        var view = Render<LogView>(p => p.Add(x => x.Host, "h1").Add(x => x.ContainerId, "abc"));

        view.WaitForAssertion(() => Assert.Equal(2, view.FindAll(".line").Count));
        Assert.Equal("ready", view.Find(".ansi-fg-2").TextContent);
        Assert.Empty(view.FindAll(".line script"));
        Assert.Contains("&lt;script&gt;", view.Markup, StringComparison.Ordinal);

        view.Find("#log-search").Input("PORT");
        view.WaitForAssertion(() => Assert.Single(view.FindAll(".line")));
        Assert.Equal("port", view.Find("mark").TextContent);

        view.Find("#log-search").Input("");
        view.Find("#log-stream").Change("stderr");
        view.WaitForAssertion(() => Assert.Contains("failed", Assert.Single(view.FindAll(".line")).TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_log_view_keeps_only_its_capacity_and_pauses()
    {
        var lines = Enumerable.Range(1, 250).Select(i => new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, $"line {i}")).ToList();
        UseServices(FakeAccess.Viewer, Feed(), new FakeLogFeed(lines));

        var view = Render<LogView>(p => p.Add(x => x.Host, "h1").Add(x => x.ContainerId, "abc").Add(x => x.Capacity, 100));

        view.WaitForAssertion(() => Assert.Equal(150, view.Instance.Buffer.Dropped));
        Assert.Equal(100, view.Instance.Buffer.Kept);
        Assert.Equal("line 151", view.Instance.Buffer[0].Text);

        view.FindAll("button").Single(b => b.TextContent == "Pause").Click();
        await view.InvokeAsync(() => view.Instance.AddLinesAsync([new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, "line 251")]));
        Assert.Contains("Resume", view.Markup, StringComparison.Ordinal);
        Assert.Equal("line 251", view.Instance.Buffer[99].Text);
    }

    [Fact]
    public void The_log_view_reads_since_and_until_in_the_browsers_time_zone()
    {
        var logs = new FakeLogFeed([]);
        UseServices(FakeAccess.Viewer, Feed(), logs);
        JSInterop.SetupModule("./_content/ContainerConsole.Web/logview.js").Setup<int>("utcOffsetMinutes").SetResult(-330);

        var view = Render<LogView>(p => p.Add(x => x.Host, "h1").Add(x => x.ContainerId, "abc"));
        view.WaitForAssertion(() => Assert.Equal("(UTC-05:30)", view.Find(".tz-note").TextContent));

        view.Find("input[aria-label='Only lines since this time']").Change("2026-03-01T08:00:00");
        view.Find("input[aria-label='Only lines until this time']").Change("2026-03-01T09:30:00");
        // The download link carries the query the next load uses: the instants typed, read at UTC-05:30.
        view.WaitForAssertion(() => Assert.Equal(
            "console/logs/h1/abc?since=2026-03-01T13:30:00Z&until=2026-03-01T15:00:00Z",
            view.Find("a[download]").GetAttribute("href")));
        Assert.Null(Assert.Single(logs.Queries).Since);
    }

    private static string[] RowNames(IRenderedComponent<ContainersPage> page) =>
        page.FindAll("tbody td.name").Select(td => td.TextContent.Trim()).ToArray();
}
