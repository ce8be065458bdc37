using System.Text.Json;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContainerConsole.Integration.Tests;

/// <summary>The pure parts of events, restart policies and health checks: filters, the bus, the restart matrix, backoff, health transitions.</summary>
public sealed class AgentEventsUnitTests
{
    private static EngineEvent Event(string type, string action, string id, params (string, string)[] attributes) =>
        new(type, action, id, attributes.ToDictionary(a => a.Item1, a => a.Item2), 1_700_000_000_123_456_789);

    private static readonly EngineEvent Die = Event("container", "die", "abc123def", ("name", "web"), ("image", "busybox:latest"), ("exitCode", "3"), ("app", "shop"));
    private static readonly EngineEvent Healthy = Event("container", "health_status: healthy", "abc123def", ("name", "web"), ("image", "busybox:latest"));
    private static readonly EngineEvent Pull = Event("image", "pull", "busybox:latest", ("name", "busybox"));

    private static bool Matches(string filters, EngineEvent e) => new EventFilter(DockerFilters.Parse(filters, EventFilter.Known)).Matches(e);

    [Theory]
    [InlineData("""{"type":["container"]}""", true, false)]
    [InlineData("""{"type":["image"]}""", false, true)]
    [InlineData("""{"type":["container","image"]}""", true, true)]
    [InlineData("""{"event":["die"]}""", true, false)]
    [InlineData("""{"event":["die","pull"]}""", true, true)]
    [InlineData("""{"type":["container"],"event":["pull"]}""", false, false)]
    [InlineData("""{"container":["web"]}""", true, false)]
    [InlineData("""{"container":["abc1"]}""", true, false)]
    [InlineData("""{"container":["other"]}""", false, false)]
    [InlineData("""{"image":["busybox"]}""", true, true)]
    [InlineData("""{"image":["busybox:latest"]}""", true, true)]
    [InlineData("""{"image":["alpine"]}""", false, false)]
    [InlineData("""{"label":["app=shop"]}""", true, false)]
    [InlineData("""{"label":["app"]}""", true, false)]
    [InlineData("""{"label":["app=other"]}""", false, false)]
    [InlineData("""{"scope":["local"]}""", true, true)]
    [InlineData("""{"scope":["swarm"]}""", false, false)]
    [InlineData("""{"daemon":["x"]}""", false, false)]
    [InlineData("""{"event":{"die":true}}""", true, false)]
    public void FiltersCombineAsDockers(string filters, bool matchesDie, bool matchesPull)
    {
        Assert.Equal(matchesDie, Matches(filters, Die));
        Assert.Equal(matchesPull, Matches(filters, Pull));
    }

    [Fact]
    public void EventFilterMatchesTheVerbOfActionsWithADetail()
    {
        Assert.True(Matches("""{"event":["health_status"]}""", Healthy));
        Assert.True(Matches("""{"event":["health_status: healthy"]}""", Healthy));
        Assert.False(Matches("""{"event":["health_status: unhealthy"]}""", Healthy));
    }

    [Fact]
    public void UnknownEventFilterIsRefusedByName()
    {
        var e = Assert.Throws<EngineException>(() => DockerFilters.Parse("""{"colour":["red"]}""", EventFilter.Known));
        Assert.Equal(400, e.Status);
        Assert.Contains("colour", e.Message);
    }

    [Fact]
    public void EventJsonHasDockersShapeAndLegacyFields()
    {
        using var doc = JsonDocument.Parse(EventsApi.Serialize(Die));
        var r = doc.RootElement;
        Assert.Equal("container", r.GetProperty("Type").GetString());
        Assert.Equal("die", r.GetProperty("Action").GetString());
        Assert.Equal("die", r.GetProperty("status").GetString());
        Assert.Equal("abc123def", r.GetProperty("id").GetString());
        Assert.Equal("busybox:latest", r.GetProperty("from").GetString());
        Assert.Equal("abc123def", r.GetProperty("Actor").GetProperty("ID").GetString());
        Assert.Equal("3", r.GetProperty("Actor").GetProperty("Attributes").GetProperty("exitCode").GetString());
        Assert.Equal("local", r.GetProperty("scope").GetString());
        Assert.Equal(1_700_000_000, r.GetProperty("time").GetInt64());
        Assert.Equal(1_700_000_000_123_456_789, r.GetProperty("timeNano").GetInt64());
        using var image = JsonDocument.Parse(EventsApi.Serialize(Pull));
        Assert.False(image.RootElement.TryGetProperty("from", out _));
    }

    [Fact]
    public void BusKeepsABoundedHistoryAndGivesEachSubscriberWhatCameAfter()
    {
        var bus = new EventBus();
        for (var i = 0; i < EventBus.HistorySize + 5; i++)
            bus.Publish("container", "start", $"c{i}", new Dictionary<string, string>());
        using var sub = bus.Subscribe();
        Assert.Equal(EventBus.HistorySize, sub.History.Count);
        Assert.Equal("c5", sub.History[0].ActorId);
        bus.Publish("container", "die", "late", new Dictionary<string, string>());
        Assert.True(sub.Live.TryRead(out var live));
        Assert.Equal("late", live.ActorId);
        Assert.False(sub.Live.TryRead(out _));
        sub.Dispose();
        Assert.Equal(0, bus.SubscriberCount);
    }

    [Fact]
    public void SlowSubscriberLosesItsOldestEventsAndNeverBlocksThePublisher()
    {
        var bus = new EventBus();
        using var slow = bus.Subscribe();
        for (var i = 0; i < EventBus.SubscriberBuffer * 3; i++)
            bus.Publish("container", "start", $"c{i}", new Dictionary<string, string>()); // returns at once although nobody reads
        Assert.Equal(EventBus.SubscriberBuffer, slow.Live.Count);
        Assert.True(slow.Live.TryRead(out var first));
        Assert.Equal($"c{EventBus.SubscriberBuffer * 2}", first.ActorId);
    }

    private static RestartPolicy Policy(string name, int max = 0) => new() { Name = name, MaximumRetryCount = max };

    // policy, exit code, manually stopped (persisted), stopped by the user in this agent's lifetime, restart count → restart?
    [Theory]
    [InlineData("no", 1, false, false, 0, false)]
    [InlineData("always", 0, false, false, 0, true)]
    [InlineData("always", 1, false, false, 7, true)]
    [InlineData("always", 0, true, true, 0, false)] // docker stop: not until the agent starts again
    [InlineData("always", 0, true, false, 0, true)] // ...and then it comes back
    [InlineData("unless-stopped", 0, false, false, 0, true)]
    [InlineData("unless-stopped", 137, true, true, 0, false)]
    [InlineData("unless-stopped", 0, true, false, 0, false)] // stays down across agent restarts
    [InlineData("on-failure", 0, false, false, 0, false)]
    [InlineData("on-failure", 3, false, false, 0, true)]
    [InlineData("on-failure", 3, false, false, 100, true)] // no maximum
    [InlineData("on-failure", 3, false, true, 0, false)]
    [InlineData("on-failure", 3, true, false, 0, true)] // a user stop does not matter once the agent restarted
    public void RestartDecisionMatrix(string policy, int exitCode, bool manuallyStopped, bool canceled, int restartCount, bool expected) =>
        Assert.Equal(expected, RestartManager.ShouldRestart(Policy(policy), exitCode, manuallyStopped, canceled, restartCount));

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    public void OnFailureStopsAtItsMaximum(int restartCount, bool expected) =>
        Assert.Equal(expected, RestartManager.ShouldRestart(Policy("on-failure", 2), 3, false, false, restartCount));

    [Fact]
    public void NoPolicyMeansNoRestart() => Assert.False(RestartManager.ShouldRestart(null, 1, false, false, 0));

    [Fact]
    public void BackoffDoublesFromAHundredMillisecondsCapsAtAMinuteAndResetsAfterTenSecondsOfRunning()
    {
        var short1 = TimeSpan.FromSeconds(1);
        var d = RestartManager.NextDelay(TimeSpan.Zero, short1);
        Assert.Equal(TimeSpan.FromMilliseconds(100), d);
        d = RestartManager.NextDelay(d, short1);
        Assert.Equal(TimeSpan.FromMilliseconds(200), d);
        d = RestartManager.NextDelay(d, short1);
        Assert.Equal(TimeSpan.FromMilliseconds(400), d);
        for (var i = 0; i < 20; i++)
            d = RestartManager.NextDelay(d, short1);
        Assert.Equal(TimeSpan.FromMinutes(1), d);
        Assert.Equal(TimeSpan.FromMilliseconds(100), RestartManager.NextDelay(d, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ARestartCanceledByTheUserIsNoLongerPending()
    {
        var restarts = new RestartManager(NullLogger<RestartManager>.Instance);
        var ran = new TaskCompletionSource();
        restarts.Schedule("c1", TimeSpan.Zero, _ =>
        {
            ran.TrySetResult();
            return Task.CompletedTask;
        });
        restarts.StoppedByUser("c1");
        Assert.False(restarts.IsPending("c1"));
        Assert.True(restarts.IsStoppedByUser("c1"));
        Assert.False(ran.Task.IsCompleted);
        restarts.Reset("c1");
        Assert.False(restarts.IsStoppedByUser("c1"));
    }

    [Fact]
    public void NoRestartIsScheduledOnceTheUserStoppedTheContainer()
    {
        // the exit handler decides to restart, the user's stop comes, then it schedules: the stop must win
        var restarts = new RestartManager(NullLogger<RestartManager>.Instance);
        restarts.StoppedByUser("c1");
        Assert.Null(restarts.Schedule("c1", TimeSpan.Zero, _ => Task.CompletedTask));
        Assert.False(restarts.IsPending("c1"));
        restarts.Reset("c1");
        Assert.NotNull(restarts.Schedule("c1", TimeSpan.Zero, _ => Task.CompletedTask));
    }

    [Fact]
    public async Task ARestartWhoseWaitIsOverIsStillCanceledByAUserStartBeforeItStarts()
    {
        // the race CI hit: the backoff ended, the restart waited for the engine's lock, and the user's stop and start
        // came in between; the late policy start must see that it was called off, or it starts with the old count
        var restarts = new RestartManager(NullLogger<RestartManager>.Instance);
        var entered = new TaskCompletionSource<CancellationToken>();
        var release = new TaskCompletionSource();
        var sawCanceled = new TaskCompletionSource<bool>();
        restarts.Schedule("c1", TimeSpan.Zero, async ct =>
        {
            entered.TrySetResult(ct);
            await release.Task; // as if waiting for the engine's lock
            sawCanceled.TrySetResult(ct.IsCancellationRequested);
        });
        var token = await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(restarts.IsPending("c1"));
        Assert.False(token.IsCancellationRequested);
        restarts.Reset("c1");
        release.SetResult();
        Assert.True(await sawCanceled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static HealthSettings Settings(int retries = 2, double startPeriodSeconds = 0) =>
        HealthSettings.From(new HealthConfig
        {
            Test = ["CMD-SHELL", "test -f /tmp/ok"], Interval = 1_000_000_000, Retries = retries, StartPeriod = (long)(startPeriodSeconds * 1e9),
        })!;

    private static readonly DateTime Started = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static HealthLogEntry Result(int exitCode, double secondsAfterStart) =>
        new() { Start = Started.AddSeconds(secondsAfterStart), End = Started.AddSeconds(secondsAfterStart + 0.1), ExitCode = exitCode, Output = $"out{secondsAfterStart}" };

    [Fact]
    public void HealthSettingsTakeDockersDefaultsAndForms()
    {
        var s = HealthSettings.From(new HealthConfig { Test = ["CMD-SHELL", "curl -f localhost"] })!;
        Assert.Equal(["/bin/sh", "-c", "curl -f localhost"], s.Command);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Interval);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Timeout);
        Assert.Equal(TimeSpan.Zero, s.StartPeriod);
        Assert.Equal(3, s.Retries);
        Assert.Equal(["true", "x"], HealthSettings.From(new HealthConfig { Test = ["CMD", "true", "x"] })!.Command);
        Assert.Null(HealthSettings.From(new HealthConfig { Test = ["NONE"] }));
        Assert.Null(HealthSettings.From(null));
        Assert.Equal(400, Assert.Throws<EngineException>(() => HealthSettings.From(new HealthConfig { Test = ["SHELL", "x"] })).Status);
        Assert.Equal(400, Assert.Throws<EngineException>(() => HealthSettings.Validate(new HealthConfig { Test = ["CMD", "true"], Interval = 5 })).Status);
    }

    [Fact]
    public void HealthCheckOfTheImageFillsWhatTheContainerLeavesUnset()
    {
        var image = new ContainerConsole.Images.Oci.HealthcheckConfig { Test = ["CMD", "true"], Interval = 7, Retries = 9 };
        var merged = HealthSettings.Merge(new HealthConfig { Interval = 5 }, image)!;
        Assert.Equal(["CMD", "true"], merged.Test);
        Assert.Equal(5, merged.Interval);
        Assert.Equal(9, merged.Retries);
        Assert.Equal(["CMD", "true"], HealthSettings.Merge(null, image)!.Test);
        Assert.Equal(["NONE"], HealthSettings.Merge(new HealthConfig { Test = ["NONE"] }, image)!.Test);
    }

    [Fact]
    public void HealthGoesHealthyOnAPassAndUnhealthyAfterRetriesFailures()
    {
        var s = Settings(retries: 2);
        var h = new HealthState();
        h = s.Apply(h, Result(1, 1), Started);
        Assert.Equal(("starting", 1), (h.Status, h.FailingStreak));
        h = s.Apply(h, Result(0, 2), Started);
        Assert.Equal(("healthy", 0), (h.Status, h.FailingStreak));
        h = s.Apply(h, Result(1, 3), Started);
        Assert.Equal(("healthy", 1), (h.Status, h.FailingStreak));
        h = s.Apply(h, Result(-1, 4), Started);
        Assert.Equal(("unhealthy", 2), (h.Status, h.FailingStreak));
        h = s.Apply(h, Result(0, 5), Started);
        Assert.Equal(("healthy", 0), (h.Status, h.FailingStreak));
    }

    [Fact]
    public void FailuresWithinTheStartPeriodDoNotCountWhileStarting()
    {
        var s = Settings(retries: 1, startPeriodSeconds: 10);
        var h = s.Apply(new HealthState(), Result(1, 2), Started);
        Assert.Equal(("starting", 0), (h.Status, h.FailingStreak));
        Assert.Equal(s.StartInterval, s.NextWait(h, Started.AddSeconds(3), Started));
        h = s.Apply(h, Result(1, 11), Started);
        Assert.Equal(("unhealthy", 1), (h.Status, h.FailingStreak));
        Assert.Equal(s.Interval, s.NextWait(h, Started.AddSeconds(12), Started));
    }

    [Fact]
    public void HealthLogKeepsTheLastFiveResults()
    {
        var s = Settings();
        var h = new HealthState();
        for (var i = 0; i < 8; i++)
            h = s.Apply(h, Result(0, i), Started);
        Assert.Equal(["out3", "out4", "out5", "out6", "out7"], h.Log.Select(l => l.Output));
    }

    private sealed class ScriptedProbe(params int[] exitCodes) : IHealthProbe
    {
        public int Calls { get; private set; }

        public Task<HealthLogEntry> RunAsync(ContainerModel c, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
        {
            var code = exitCodes[Math.Min(Calls, exitCodes.Length - 1)];
            Calls++;
            return Task.FromResult(new HealthLogEntry { Start = Started.AddSeconds(Calls), End = Started.AddSeconds(Calls), ExitCode = code });
        }
    }

    [Fact]
    public async Task CheckerRecordsEachTransitionOnceAndSkipsProbesWhilePaused()
    {
        var c = new ContainerModel { State = new ContainerRunState { Status = "running", StartedAt = Started, Health = new HealthState() } };
        var probe = new ScriptedProbe(1, 0, 0, 1, 1, 1);
        var transitions = new List<string>();
        var waits = 0;
        using var cts = new CancellationTokenSource();
        Task Wait(TimeSpan d, CancellationToken ct)
        {
            waits++;
            c.State.Status = waits == 4 ? "paused" : "running"; // the fourth round finds it paused: no probe
            if (waits > 7)
                cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return Task.CompletedTask;
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HealthChecker.RunAsync(c, Settings(retries: 2), probe, TimeProvider.System, Wait,
            (before, after) =>
            {
                if (before.Status != after.Status)
                    transitions.Add(after.Status);
            }, cts.Token));
        Assert.Equal(6, probe.Calls);
        Assert.Equal(["healthy", "unhealthy"], transitions);
        Assert.Equal("unhealthy", c.State.Health!.Status);
        Assert.Equal(3, c.State.Health.FailingStreak);
    }
}
