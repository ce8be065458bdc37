using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Metrics;
using ContainerConsole.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Server.Tests;

/// <summary>Hubs, metric history and /metrics against the fake agent.</summary>
public sealed class LiveStreamTests : IDisposable
{
    private const string Web = "4f1c0a7b2e9d8c6a5b4f3e2d1c0b9a8f7e6d5c4b3a29181706f5e4d3c2b1a090";
    private const string Job = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181706f5e4d3c2b1a0904f1c0a7b";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_viewer_gets_the_logs_of_two_containers_interleaved_by_time_but_no_terminal_or_pull()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        var t0 = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
        agent.LogBacklog[Web] = [(t0, 1, "web 1"), (t0.AddSeconds(2), 2, "web 2 (err)"), (t0.AddSeconds(4), 1, "web 3")];
        agent.LogBacklog[Job] = [(t0.AddSeconds(1), 1, "job 1"), (t0.AddSeconds(3), 1, "job 2")];
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        var token = await ServerFactory.LoginAsync(server.CreateApiClient(), "vera", ServerFactory.UserPassword);
        await using var logs = await HubClient.ConnectAsync(server, "logs", token);

        var entries = new List<LogEntry>();
        var subscription = new LogSubscription([new ContainerRef("local", Web), new ContainerRef("local", Job)], Tail: 10);
        await foreach (var entry in logs.StreamAsync<LogEntry>("Follow", subscription))
        {
            entries.Add(entry);
        }

        Assert.Equal(["web 1", "job 1", "web 2 (err)", "job 2", "web 3"], entries.Select(e => e.Text));
        Assert.Equal("stderr", entries[2].Stream);
        Assert.Equal(Job, entries[1].Container);
        Assert.Equal(t0.AddSeconds(3), entries[3].Time);

        var tailOne = new List<LogEntry>();
        await foreach (var entry in logs.StreamAsync<LogEntry>("Follow", new LogSubscription([new ContainerRef("local", Web)], Tail: 1, Follow: false)))
        {
            tailOne.Add(entry);
        }

        Assert.Equal(["web 3"], tailOne.Select(e => e.Text));

        var unknown = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in logs.StreamAsync<LogEntry>("Follow", new LogSubscription([new ContainerRef("nowhere", Web)])))
            {
            }
        });
        Assert.Contains("nowhere", unknown.Message, StringComparison.Ordinal);

        await using var terminal = await HubClient.ConnectAsync(server, "terminal", token);
        var refused = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in terminal.StreamAsync<string>("Open", "local", Web, new TerminalOptions(), EmptyInput()))
            {
            }
        });
        Assert.Contains("unauthorized", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("your role (viewer) may not open terminals", refused.Message, StringComparison.Ordinal);

        await using var progress = await HubClient.ConnectAsync(server, "progress", token);
        var pullRefused = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in progress.StreamAsync<ProgressMessage>("Pull", "local", "busybox", "latest"))
            {
            }
        });
        Assert.Contains("may not pull images", pullRefused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(agent.Requests, r => r.StartsWith("/images/create", StringComparison.Ordinal) || r.Contains("/exec", StringComparison.Ordinal));

        // Both refusals are in the audit log, with who, what and where, as the REST API's refusals are.
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?result=denied");
        var denied = audit.GetProperty("items").EnumerateArray()
            .Select(e => (Action: e.GetProperty("action").GetString(), User: e.GetProperty("user").GetString(), Host: e.GetProperty("host").GetString(), Target: e.GetProperty("target").GetString()))
            .ToList();
        Assert.Contains(("terminal.open", "vera", "local", Web), denied);
        Assert.Contains(("image.pull", "vera", "local", "busybox"), denied);
    }

    [Fact]
    public async Task Stats_subscribers_of_one_container_share_one_agent_stream_and_get_computed_figures()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        var token = await ServerFactory.LoginAsync(server.CreateApiClient());
        await using var first = await HubClient.ConnectAsync(server, "stats", token);
        await using var second = await HubClient.ConnectAsync(server, "stats", token);

        using var stop = new CancellationTokenSource();
        var a = first.StreamAsync<ContainerSample>("Stream", "local", Web, stop.Token).GetAsyncEnumerator(stop.Token);
        var b = second.StreamAsync<ContainerSample>("Stream", "local", Web, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await a.MoveNextAsync());
        Assert.True(await b.MoveNextAsync());
        Assert.True(await a.MoveNextAsync());
        Assert.Equal(1, agent.OpenStatsStreams);

        var sample = a.Current;
        Assert.Equal(50, sample.CpuPercent);
        Assert.Equal(80L * 1024 * 1024, sample.MemoryBytes);
        Assert.Equal(1L << 30, sample.MemoryLimitBytes);
        Assert.Equal(1001, sample.NetworkRxBytes);
        Assert.Equal(2002, sample.NetworkTxBytes);
        Assert.Equal(4096, sample.BlockReadBytes);
        Assert.Equal(8192, sample.BlockWriteBytes);
        Assert.Equal("web", sample.Name);
        await stop.CancelAsync();
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Fact]
    public void Event_filters_match_type_action_and_container_by_id_or_name()
    {
        var die = new HostEvent("local", "container", "die", "c1", new Dictionary<string, string> { ["name"] = "web" }, 1);
        var exec = new HostEvent("local", "container", "exec_start: sh -c date", "c1", new Dictionary<string, string>(), 2);
        var pull = new HostEvent("local", "image", "pull", "busybox", new Dictionary<string, string>(), 3);
        Assert.True(EventsHub.Matches(new EventFilter(), pull));
        Assert.True(EventsHub.Matches(new EventFilter(Types: ["container"], Containers: ["web"]), die));
        Assert.False(EventsHub.Matches(new EventFilter(Types: ["container"]), pull));
        Assert.True(EventsHub.Matches(new EventFilter(Actions: ["exec_start"]), exec));
        Assert.False(EventsHub.Matches(new EventFilter(Containers: ["c2"]), die));
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_is_dropped_without_holding_up_the_others()
    {
        var upstream = System.Threading.Channels.Channel.CreateUnbounded<int>();
        var feed = new SharedFeed<string, int>((_, ct) => upstream.Reader.ReadAllAsync(ct), capacity: 4, SlowClientPolicy.DropSubscription,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        await using var slow = feed.SubscribeAsync("k", null, stop.Token).GetAsyncEnumerator(stop.Token);
        await using var fast = feed.SubscribeAsync("k", null, stop.Token).GetAsyncEnumerator(stop.Token);
        var fastTask = fast.MoveNextAsync().AsTask(); // registers the subscription
        _ = slow.MoveNextAsync().AsTask();
        await upstream.Writer.WriteAsync(0);
        Assert.True(await fastTask);
        Assert.Equal(0, fast.Current);

        // The slow one reads nothing more; the fast one reads all of them.
        for (var i = 1; i <= 10; i++)
        {
            await upstream.Writer.WriteAsync(i);
            Assert.True(await fast.MoveNextAsync());
            Assert.Equal(i, fast.Current);
        }

        var drained = new List<int>();
        var error = await Assert.ThrowsAsync<SlowClientException>(async () =>
        {
            while (await slow.MoveNextAsync())
            {
                drained.Add(slow.Current);
            }
        });
        Assert.Contains("dropped", error.Message, StringComparison.Ordinal);
        Assert.True(drained.Count <= 4);
        Assert.Equal(1, feed.OpenUpstreams);
    }

    [Fact]
    public async Task Sampled_metrics_are_stored_rolled_up_per_minute_queried_and_exported_for_prometheus()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        var sampler = server.Services.GetRequiredService<MetricSampler>();
        Assert.Equal(1, await sampler.SampleOnceAsync(CancellationToken.None)); // the fake lists one running container
        Assert.Equal(1, await sampler.SampleOnceAsync(CancellationToken.None));

        var fine = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/hosts/local/containers/web/metrics?resolution=10s");
        Assert.Equal(Web, fine.GetProperty("container").GetString());
        var points = fine.GetProperty("points").EnumerateArray().ToList();
        Assert.True(points.Count >= 2);
        Assert.Equal(80L * 1024 * 1024, points[0].GetProperty("memoryBytes").GetInt64());

        var rolled = await server.Services.GetRequiredService<MetricRollup>().RunOnceAsync(DateTimeOffset.UtcNow.AddMinutes(2), CancellationToken.None);
        Assert.Equal(1, rolled);
        var coarse = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/hosts/local/containers/{Web[..12]}/metrics?resolution=1m&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(2).ToString("O"))}");
        var minute = Assert.Single(coarse.GetProperty("points").EnumerateArray());
        Assert.Equal(1001, minute.GetProperty("networkRxBytes").GetInt64());
        Assert.Equal(0, await server.Services.GetRequiredService<MetricRollup>().RunOnceAsync(DateTimeOffset.UtcNow.AddMinutes(2), CancellationToken.None));

        using (var bad = await admin.GetAsync("/api/v1/hosts/local/containers/web/metrics?resolution=5s"))
        {
            var problem = await AuthApiTests.AssertProblemAsync(bad, HttpStatusCode.BadRequest);
            Assert.Contains("5s", problem.GetRawText(), StringComparison.Ordinal);
        }

        using (var unknown = await admin.GetAsync("/api/v1/hosts/nowhere/containers/web/metrics"))
        {
            await AuthApiTests.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        }

        using (var anonymous = await server.CreateApiClient().GetAsync("/metrics"))
        {
            // Outside /api the sign-in challenge is the web UI's redirect to its login page; either way, no figures.
            Assert.Contains(anonymous.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Found });
            Assert.DoesNotContain("containerconsole_", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var metrics = await admin.GetAsync("/metrics");
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", metrics.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE containerconsole_http_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("containerconsole_http_requests_total{method=\"GET\",code=\"200\"}", text, StringComparison.Ordinal);
        Assert.Contains("containerconsole_agent_up{host=\"local\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"containerconsole_container_memory_bytes{{host=\"local\",id=\"{Web}\",name=\"web\"}} 83886080\n", text, StringComparison.Ordinal);
        Assert.Contains($"containerconsole_container_cpu_seconds_total{{host=\"local\",id=\"{Web}\",name=\"web\"}} 0.5\n", text, StringComparison.Ordinal);
        Assert.Contains($"containerconsole_container_network_receive_bytes_total{{host=\"local\",id=\"{Web}\",name=\"web\"}} 1001\n", text, StringComparison.Ordinal);
        Assert.Equal("a\\\"b\\\\c\\nd", PrometheusText.Escape("a\"b\\c\nd"));
    }

    private static async IAsyncEnumerable<TerminalInput> EmptyInput()
    {
        await Task.Yield();
        yield break;
    }
}
