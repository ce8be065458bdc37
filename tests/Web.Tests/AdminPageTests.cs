using Bunit;
using ContainerConsole.Web.Components.Admin;
using ContainerConsole.Web.Components.Charts;
using ContainerConsole.Web.Components.Pages;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>The dashboard, events, hosts, users &amp; tokens and audit pages rendered by bUnit with fake services.</summary>
public sealed class AdminPageTests : BunitContext
{
    /// <summary>How long a wait for a live update may take when the machine is busy (the browser tests run beside these).</summary>
    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(10);

    private readonly FakeEventFeed _events = new();
    private readonly FakeUserAdmin _users = new();
    private readonly FakeTokens _tokens = new();
    private readonly FakeHostAdmin _hostAdmin = new();

    private void UseServices(ConsoleRights rights, DashboardSnapshot? dashboard = null, FakeAuditTrail? audit = null, params HostStatus[] hosts)
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(rights));
        Services.AddSingleton<IDashboardService>(new FakeDashboard(dashboard ?? Snapshot()));
        Services.AddSingleton<IEventFeed>(_events);
        Services.AddSingleton<IUserAdmin>(_users);
        Services.AddSingleton<IApiTokenService>(_tokens);
        Services.AddSingleton<IHostsService>(new FakeHosts(hosts));
        Services.AddSingleton<IHostAdmin>(_hostAdmin);
        Services.AddSingleton<IAuditTrail>(audit ?? new FakeAuditTrail());
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    private static DashboardSnapshot Snapshot()
    {
        var now = DateTimeOffset.UtcNow;
        return new DashboardSnapshot(
            [
                new HostOverview("h1", null, 3, 1, 2, 5, 100 << 20, 1 << 20, 0, 2, 8L << 30, 12, 64 << 20),
                new HostOverview("h2", "connection refused", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                new HostOverview("h3", null, 4, 0, 0, 1, 10 << 20, 0, 0, 4, 4L << 30, 50, 32 << 20),
            ],
            [new HostUsageHistory("h1", [new UsagePoint(now.AddMinutes(-2), 10, 60 << 20), new UsagePoint(now.AddMinutes(-1), 12.5, 64 << 20)]), new HostUsageHistory("h3", [])],
            now);
    }

    [Fact]
    public void The_dashboard_adds_up_the_hosts_and_names_an_unreachable_one()
    {
        UseServices(FakeAccess.Viewer);

        var page = Render<Dashboard>();

        page.WaitForAssertion(() => Assert.Equal("7", page.Find("[data-figure=running]").TextContent));
        Assert.Equal("1", page.Find("[data-figure=paused]").TextContent);
        Assert.Equal("6", page.Find("[data-figure=images]").TextContent);
        Assert.Contains("Unreachable: connection refused", page.Markup, StringComparison.Ordinal);
        Assert.Contains("62 %", page.Markup, StringComparison.Ordinal); // 12 + 50, the containers' CPU
        Assert.Contains("containers' CPU", page.Markup, StringComparison.Ordinal);
        // One line per host with samples: the CPU and the memory chart.
        Assert.Equal(2, page.FindAll("polyline").Count);
    }

    [Fact]
    public void The_dashboard_shows_new_events_live_and_keeps_the_newest()
    {
        UseServices(FakeAccess.Viewer);
        var page = Render<Dashboard>();
        page.WaitForElement("[data-figure=running]");

        for (var i = 0; i < Dashboard.RecentEvents + 3; i++)
        {
            _events.Push(FakeEventFeed.Container("start", $"c{i}"));
        }

        // The last event pushed is on top, and the list stays at its bound.
        page.WaitForAssertion(() => Assert.Contains($"c{Dashboard.RecentEvents + 2}", page.Find("ol.events li").TextContent, StringComparison.Ordinal), Busy);
        Assert.Equal(Dashboard.RecentEvents, page.FindAll("ol.events li").Count);
    }

    [Fact]
    public void The_events_page_filters_by_type_action_and_container_and_pause_holds_new_events()
    {
        UseServices(FakeAccess.Viewer);
        var page = Render<Events>();
        _events.Push(FakeEventFeed.Container("start", "web"));
        _events.Push(FakeEventFeed.Container("die", "web"));
        _events.Push(FakeEventFeed.Container("create", "db", host: "h2"));
        _events.Push(FakeEventFeed.Container("pull", "busybox", type: "image"));
        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll("tbody tr").Count), Busy);

        // Each filter change re-renders; a live render may come in between, so each result is waited for.
        page.Find("#event-type").Change("container");
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("tbody tr").Count), Busy);
        page.Find("#event-action").Input("di");
        page.WaitForAssertion(() => Assert.Equal("die", Assert.Single(page.FindAll("td.action-name")).TextContent), Busy);
        page.Find("#event-action").Input("");
        page.Find("#event-container").Input("db");
        page.WaitForAssertion(() => Assert.Equal("create", Assert.Single(page.FindAll("td.action-name")).TextContent), Busy);
        page.Find("#event-container").Input("");
        page.Find("#event-host").Change("h2");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody tr")), Busy);
        page.Find("#event-host").Change("");
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("tbody tr").Count), Busy);

        page.FindAll("button").Single(b => b.TextContent == "Pause").Click();
        _events.Push(FakeEventFeed.Container("stop", "web"));
        page.WaitForAssertion(() => Assert.Contains("Resume (1 new)", page.Markup, StringComparison.Ordinal), Busy);
        Assert.Equal(3, page.FindAll("tbody tr").Count);
        page.FindAll("button").Single(b => b.TextContent.StartsWith("Resume", StringComparison.Ordinal)).Click();
        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll("tbody tr").Count), Busy);
        Assert.Equal("stop", page.FindAll("td.action-name")[0].TextContent);
    }

    [Fact]
    public void The_events_page_says_why_the_feed_stopped()
    {
        UseServices(FakeAccess.Viewer);
        var page = Render<Events>();
        _events.Fail("the subscriber fell 1024 events behind");

        page.WaitForAssertion(() => Assert.Contains("fell 1024 events behind", page.Find(".error-display").TextContent, StringComparison.Ordinal), Busy);
        Assert.Contains(page.FindAll("button"), b => b.TextContent == "Follow again");
    }

    [Fact]
    public void The_event_log_is_bounded_and_counts_what_it_dropped()
    {
        var log = new EventLog(capacity: 3);
        for (var i = 0; i < 5; i++)
        {
            log.Add(FakeEventFeed.Container("start", $"c{i}"));
        }

        Assert.Equal(3, log.Count);
        Assert.Equal(2, log.Dropped);
        Assert.Equal(["c4", "c3", "c2"], log.Matching(new EventQuery()).Select(e => e.Name!).ToArray());
    }

    [Fact]
    public void A_viewer_gets_no_host_controls_an_admin_registers_and_hears_a_refusal()
    {
        var host = new HostStatus(1, "local", "unix:///run/a.sock", false, HostState.Healthy, null, null, DateTimeOffset.UnixEpoch);
        UseServices(FakeAccess.Viewer, hosts: host);
        var viewer = Render<Hosts>();
        viewer.WaitForElement("tbody tr");
        Assert.Empty(viewer.FindAll("#host-name"));
        Assert.DoesNotContain(viewer.FindAll("button"), b => b.TextContent.StartsWith("Remove", StringComparison.Ordinal));

        using var other = new BunitContext();
        other.Services.AddSingleton<IConsoleAccess>(new FakeAccess(AdminRights.Admin));
        other.Services.AddSingleton<IHostsService>(new FakeHosts(host));
        other.Services.AddSingleton<IHostAdmin>(_hostAdmin);
        other.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var admin = other.Render<Hosts>();
        admin.WaitForElement("#host-name");
        admin.Find("#host-name").Change("remote");
        admin.Find("#host-uri").Change("http//wrong");
        admin.Find("form").Submit();
        admin.WaitForAssertion(() => Assert.Contains("is not a unix:// or tcp:// address", admin.Find(".error-display").TextContent, StringComparison.Ordinal));

        admin.Find("#host-uri").Change("tcp://127.0.0.1:2376");
        admin.Find("#host-ca").Change("/etc/cc/ca.pem");
        admin.Find("#host-cert").Change("/etc/cc/cert.pem");
        admin.Find("#host-key").Change("/etc/cc/key.pem");
        admin.Find("form").Submit();
        admin.WaitForAssertion(() => Assert.Equal(2, admin.FindAll("tbody tr").Count));
        var registered = Assert.Single(_hostAdmin.Registered);
        Assert.True(registered.MutualTls);
        Assert.Equal("/etc/cc/key.pem", registered.Key);
    }

    [Fact]
    public void An_admin_edits_a_hosts_name_address_and_tls_files()
    {
        var host = new HostStatus(3, "build", "tcp://127.0.0.1:2375", false, HostState.Unreachable, null, "refused", DateTimeOffset.UnixEpoch);
        UseServices(AdminRights.Admin, hosts: host);
        var page = Render<Hosts>();

        page.WaitForElement("button[aria-label='Edit host build']").Click();
        Assert.Equal("Edit host build", page.Find("details.register summary").TextContent);
        Assert.Equal("tcp://127.0.0.1:2375", page.Find("#host-uri").GetAttribute("value"));

        page.Find("#host-name").Change("build-1");
        page.Find("#host-uri").Change("tcp://127.0.0.1:2376");
        page.Find("#host-ca").Change("/etc/cc/ca.pem");
        page.Find("#host-cert").Change("/etc/cc/cert.pem");
        page.Find("#host-key").Change("/etc/cc/key.pem");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Equal("build-1", page.Find("tbody .name").TextContent));
        var (id, request) = Assert.Single(_hostAdmin.Updated);
        Assert.Equal(3, id);
        Assert.Equal("tcp://127.0.0.1:2376", request.Uri);
        Assert.Equal("/etc/cc/key.pem", request.Key);
        Assert.Empty(_hostAdmin.Registered);
        Assert.Equal("Register a host", page.Find("details.register summary").TextContent);
        Assert.Single(page.FindAll("tbody tr"));
    }

    [Fact]
    public void A_token_is_shown_once_and_revoked()
    {
        UseServices(FakeAccess.Viewer);
        var page = Render<Users>();
        Assert.Empty(page.FindAll("#new-user")); // a viewer manages only their tokens

        page.WaitForElement("#token-name").Change("deploy");
        page.Find("#token-days").Change("7");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Equal("cc_secret_t0", page.Find("#token-secret").GetAttribute("value")));
        Assert.Equal("deploy", page.Find("td.token-name").TextContent);
        page.FindAll("button").Single(b => b.TextContent == "Done").Click();
        Assert.DoesNotContain("cc_secret_t0", page.Markup, StringComparison.Ordinal);

        page.Find("button[aria-label='Revoke token deploy']").Click();
        page.WaitForAssertion(() => Assert.Equal("revoked", page.Find("td.token-state").TextContent.Trim()));
        Assert.Empty(page.FindAll("button[aria-label='Revoke token deploy']"));
    }

    [Fact]
    public void An_admin_creates_a_user_and_a_duplicate_is_refused_with_the_reason()
    {
        UseServices(AdminRights.Admin);
        var page = Render<Users>();
        var panel = page.FindComponent<UsersPanel>();

        panel.WaitForElement("#new-user").Change("otto");
        panel.Find("#new-password").Change("operator-password");
        panel.Find("#new-role").Change("operator");
        panel.Find("form.inline-form").Submit();
        panel.WaitForAssertion(() => Assert.Equal(["admin", "otto"], panel.FindAll("td.user-name").Select(td => td.TextContent).ToArray()));
        Assert.Contains("create otto operator", _users.Calls);

        panel.Find("#new-user").Change("otto");
        panel.Find("#new-password").Change("operator-password");
        panel.Find("form.inline-form").Submit();
        panel.WaitForAssertion(() => Assert.Contains("A user named 'otto' exists.", panel.Find(".error-display").TextContent, StringComparison.Ordinal));

        panel.Find("button[aria-label='Delete user otto']").Click();
        panel.FindAll("button").Single(b => b.TextContent == "Delete").Click();
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("td.user-name")));
    }

    [Fact]
    public void An_admin_disables_and_enables_a_user_but_not_the_last_admin()
    {
        _users.Users.Add(new UserAccount("2", "vera", "viewer", DateTimeOffset.UnixEpoch));
        UseServices(AdminRights.Admin);
        var panel = Render<Users>().FindComponent<UsersPanel>();

        panel.WaitForElement("button[aria-label='Disable user vera']").Click();
        panel.WaitForAssertion(() => Assert.NotNull(panel.Find("button[aria-label='Enable user vera']")));
        Assert.Equal("disabled", panel.Find("tr.disabled-user .status-text").TextContent);
        Assert.Equal(["disable 2"], _users.Calls);

        panel.Find("button[aria-label='Disable user admin']").Click();
        panel.WaitForAssertion(() => Assert.Contains("last admin", panel.Find(".error-display").TextContent, StringComparison.Ordinal));
        Assert.False(_users.Users.Single(u => u.UserName == "admin").Disabled);

        panel.Find("button[aria-label='Enable user vera']").Click();
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("tr.disabled-user")));
        Assert.Equal(["disable 2", "disable 1", "enable 2"], _users.Calls);
    }

    [Fact]
    public void The_audit_page_filters_by_source_pages_and_offers_export_to_an_admin_only()
    {
        var records = Enumerable.Range(1, 60).Select(i => new AuditRecord(i, DateTimeOffset.UnixEpoch.AddMinutes(i), i % 2 == 0 ? "ui" : "api", "admin", "console",
            "container.stop", $"local/{i}", "local", 200, "success", 1.5, null)).ToArray();
        var trail = new FakeAuditTrail(records);
        UseServices(FakeAccess.Viewer, audit: trail);

        var page = Render<Audit>();
        page.WaitForAssertion(() => Assert.Equal(50, page.FindAll("tbody tr").Count));
        Assert.Empty(page.FindAll(".exports a"));
        page.FindAll("button").Single(b => b.TextContent == "Older").Click();
        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll("tbody tr").Count));

        page.Find("#audit-source").Change("ui");
        page.Find("form").Submit();
        page.WaitForAssertion(() => Assert.Equal(30, page.FindAll("tbody tr").Count));
        Assert.Equal(("ui", 1), (trail.Queries[^1].Query.Source, trail.Queries[^1].Page));

        using var other = new BunitContext();
        other.Services.AddSingleton<IConsoleAccess>(new FakeAccess(AdminRights.Admin));
        other.Services.AddSingleton<IAuditTrail>(trail);
        other.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var admin = other.Render<Audit>();
        admin.WaitForElement("#audit-source").Change("ui");
        admin.Find("form").Submit();
        admin.WaitForAssertion(() => Assert.Equal("api/v1/audit/export?format=csv&source=ui", admin.FindAll(".exports a")[0].GetAttribute("href")));
    }

    [Fact]
    public void The_dashboard_chart_draws_one_line_per_host_in_its_tone()
    {
        var now = DateTimeOffset.UnixEpoch;
        var chart = Render<SvgChart>(p => p
            .Add(x => x.Title, "CPU")
            .Add(x => x.From, now)
            .Add(x => x.To, now.AddMinutes(1))
            .Add(x => x.Series, [new ChartSeries("a", "tone-0", [new ChartPoint(now, 1), new ChartPoint(now.AddMinutes(1), 3)]), new ChartSeries("b", "tone-1", [])])
            .Add(x => x.Format, v => $"{v} %"));

        Assert.Single(chart.FindAll("polyline")); // a host with no samples yet draws no line
        Assert.Equal(2, chart.Find("polyline.tone-0").GetAttribute("points")!.Split(' ').Length);
        Assert.Equal("CPU: a 3 %, b no data", chart.Find("svg").GetAttribute("aria-label"));
    }
}
