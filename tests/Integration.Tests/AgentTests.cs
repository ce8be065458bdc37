using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>ccagent end to end over its Docker Engine API, including a crash of the agent itself.</summary>
public sealed class AgentTests
{
    private static object Container(string script, object? hostConfig = null) => new
    {
        Image = TestEnvironment.BusyboxRootfs,
        Cmd = new[] { "sh", "-c", script },
        HostConfig = hostConfig ?? new { },
    };

    [RequiresRootFact]
    public async Task AgentKilledAndRestartedLosesNoLineAndRecordsTheExitCode()
    {
        using var agent = new AgentProcess();
        const int lines = 60;
        var id = await agent.CreateAsync(Container($"i=0; while [ $i -lt {lines} ]; do echo line $i; echo err $i >&2; i=$((i+1)); sleep 0.05; done; exit 7"));
        Assert.Equal(HttpStatusCode.NoContent, (await agent.PostAsync($"containers/{id}/start")).StatusCode);
        var pid = (await agent.InspectAsync(id)).GetProperty("State").GetProperty("Pid").GetInt32();
        Assert.True(pid > 0);

        await Task.Delay(700);
        agent.Crash();
        Assert.True(File.Exists($"/proc/{pid}/stat"), "the container died with the agent");
        await Task.Delay(1000);
        agent.Start();

        var wait = await agent.PostAsync($"containers/{id}/wait");
        Assert.Contains("\"StatusCode\":7", await wait.Content.ReadAsStringAsync());
        var state = (await agent.InspectAsync(id)).GetProperty("State");
        Assert.Equal("exited", state.GetProperty("Status").GetString());
        Assert.Equal(7, state.GetProperty("ExitCode").GetInt32());

        var frames = await agent.LogsAsync(id);
        var stdout = frames.Where(f => f.Stream == 1).Select(f => f.Text).ToList();
        var stderr = frames.Where(f => f.Stream == 2).Select(f => f.Text).ToList();
        Assert.Equal(Enumerable.Range(0, lines).Select(i => $"line {i}\n"), stdout);
        Assert.Equal(Enumerable.Range(0, lines).Select(i => $"err {i}\n"), stderr);
        Assert.Equal(["line 57\n", "line 58\n", "line 59\n"], (await agent.LogsAsync(id, "stdout=1&tail=3")).Select(f => f.Text));
    }

    [RequiresRootFact]
    public async Task AContainerThatExitsWhileTheAgentIsDownIsRecordedOnRestart()
    {
        using var agent = new AgentProcess();
        var id = await agent.CreateAsync(Container("echo before; sleep 1; echo after; exit 5"));
        await agent.PostAsync($"containers/{id}/start");
        agent.Crash();
        await Task.Delay(2500); // the container finishes while no agent runs; its monitor records the exit
        agent.Start();
        Assert.Contains("\"StatusCode\":5", await (await agent.PostAsync($"containers/{id}/wait")).Content.ReadAsStringAsync());
        Assert.Equal(["before\n", "after\n"], (await agent.LogsAsync(id)).Select(f => f.Text));
        Assert.Empty(Leaks.ProcessesInCgroupsNamed(id));
    }

    [RequiresRootFact]
    public async Task OomKillIsReportedInInspect()
    {
        using var agent = new AgentProcess();
        var id = await agent.CreateAsync(Container("x=$(yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 400000000); echo survived", new { Memory = 32L << 20, MemorySwap = 32L << 20 }));
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        var state = (await agent.InspectAsync(id)).GetProperty("State");
        Assert.Equal(137, state.GetProperty("ExitCode").GetInt32());
        Assert.True(state.GetProperty("OOMKilled").GetBoolean());
    }

    [RequiresRootFact]
    public async Task StopSendsTermThenKillsAfterTheGracePeriod()
    {
        using var agent = new AgentProcess();
        // pid 1 ignores SIGTERM without a handler, so only the SIGKILL after the grace period stops it.
        var stubborn = await agent.CreateAsync(Container("sleep 600"));
        await agent.PostAsync($"containers/{stubborn}/start");
        var t0 = DateTime.UtcNow;
        Assert.Equal(HttpStatusCode.NoContent, (await agent.PostAsync($"containers/{stubborn}/stop?t=1")).StatusCode);
        var took = DateTime.UtcNow - t0;
        Assert.InRange(took.TotalSeconds, 0.9, 8);
        Assert.Equal(137, (await agent.InspectAsync(stubborn)).GetProperty("State").GetProperty("ExitCode").GetInt32());

        var polite = await agent.CreateAsync(Container("trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"));
        await agent.PostAsync($"containers/{polite}/start");
        await Task.Delay(300);
        t0 = DateTime.UtcNow;
        await agent.PostAsync($"containers/{polite}/stop?t=10");
        Assert.True(DateTime.UtcNow - t0 < TimeSpan.FromSeconds(5));
        Assert.Equal(0, (await agent.InspectAsync(polite)).GetProperty("State").GetProperty("ExitCode").GetInt32());
        Assert.Contains("bye\n", (await agent.LogsAsync(polite)).Select(f => f.Text));
    }

    [RequiresRootFact]
    public async Task PauseUnpauseAndRemoveRules()
    {
        using var agent = new AgentProcess();
        var id = await agent.CreateAsync(Container("sleep 600"), "pausable");
        await agent.PostAsync("containers/pausable/start");
        Assert.Equal(HttpStatusCode.NoContent, (await agent.PostAsync("containers/pausable/pause")).StatusCode);
        Assert.Equal("paused", (await agent.InspectAsync(id)).GetProperty("State").GetProperty("Status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await agent.Http.DeleteAsync($"containers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await agent.PostAsync("containers/pausable/unpause")).StatusCode);
        Assert.Equal("running", (await agent.InspectAsync(id)).GetProperty("State").GetProperty("Status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await agent.Http.PostAsJsonAsync("containers/create?name=pausable", Container("true"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await agent.Http.DeleteAsync($"containers/{id[..12]}?force=1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.GetAsync($"containers/{id}/json")).StatusCode);
        Assert.Empty(Leaks.ProcessesInCgroupsNamed(id));
    }

    [RequiresRootFact]
    public async Task RuncCanBeSwappedInByConfiguration()
    {
        using var agent = new AgentProcess("--add-runtime", "runc=/usr/sbin/runc", "--default-runtime", "runc");
        var id = await agent.CreateAsync(Container("echo via runc; hostname; exit 4"));
        await agent.PostAsync($"containers/{id}/start");
        Assert.Contains("\"StatusCode\":4", await (await agent.PostAsync($"containers/{id}/wait")).Content.ReadAsStringAsync());
        var text = string.Concat((await agent.LogsAsync(id)).Select(f => f.Text));
        Assert.Equal($"via runc\n{id[..12]}\n", text);
        Assert.Equal("runc", (await agent.InspectAsync(id)).GetProperty("HostConfig").GetProperty("Runtime").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await agent.Http.DeleteAsync($"containers/{id}")).StatusCode);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(id, StringComparison.Ordinal));
    }

    [RequiresRootFact]
    public async Task LogsRotateBySizeAndFollowStreamsNewLines()
    {
        using var agent = new AgentProcess("--log-opt", "max-size=4k", "--log-opt", "max-file=3");
        var id = await agent.CreateAsync(Container("i=0; while [ $i -lt 400 ]; do echo line $i; i=$((i+1)); done; sleep 1; echo late; sleep 1; echo last"));
        await agent.PostAsync($"containers/{id}/start");
        using var follow = await agent.Http.GetAsync($"containers/{id}/logs?stdout=1&follow=1&tail=0", HttpCompletionOption.ResponseHeadersRead);
        var stream = await follow.Content.ReadAsStreamAsync();
        var reader = Task.Run(async () =>
        {
            using var ms = new MemoryStream();
            await stream.CopyToAsync(ms);
            return System.Text.Encoding.UTF8.GetString(ms.ToArray());
        });
        await agent.PostAsync($"containers/{id}/wait");
        var followed = await reader.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("late\n", followed);
        Assert.Contains("last\n", followed);

        var log = (await agent.InspectAsync(id)).GetProperty("LogPath").GetString()!;
        Assert.True(File.Exists(log + ".1") && File.Exists(log + ".2"), "no rotated files");
        Assert.False(File.Exists(log + ".3"), "more files kept than max-file");
        foreach (var f in new[] { log, log + ".1", log + ".2" })
            Assert.InRange(new FileInfo(f).Length, 1, 4096);
        var kept = (await agent.LogsAsync(id, "stdout=1")).Select(f => f.Text).ToList();
        Assert.Equal("last\n", kept[^1]);
        Assert.DoesNotContain("line 0\n", kept); // rotated away
        var numbers = kept.Where(t => t.StartsWith("line ", StringComparison.Ordinal)).Select(t => int.Parse(t[5..^1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers); // contiguous, in order
        Assert.Equal(399, numbers[^1]);
    }

    [RequiresRootFact]
    public async Task A_containers_own_log_opts_override_the_agents_and_bad_ones_are_refused()
    {
        using var agent = new AgentProcess("--log-opt", "max-size=4k", "--log-opt", "max-file=3");
        var id = await agent.CreateAsync(Container("i=0; while [ $i -lt 400 ]; do echo line $i; i=$((i+1)); done",
            new { LogConfig = new { Type = "json-file", Config = new Dictionary<string, string> { ["max-file"] = "2" } } }));
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");

        var log = (await agent.InspectAsync(id)).GetProperty("LogPath").GetString()!;
        Assert.True(File.Exists(log + ".1"), "no rotated file");
        Assert.False(File.Exists(log + ".2"), "more files kept than the container's max-file");
        Assert.InRange(new FileInfo(log + ".1").Length, 1, 4096); // max-size from the agent
        Assert.Equal("line 399\n", (await agent.LogsAsync(id, "stdout=1")).Last().Text);

        var bad = await agent.Http.PostAsJsonAsync("containers/create", Container("true",
            new { LogConfig = new { Type = "json-file", Config = new Dictionary<string, string> { ["compress"] = "true" } } }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("unknown log opt 'compress'", await bad.Content.ReadAsStringAsync());
    }

    [RequiresRootFact]
    public async Task BadRequestsGetDockerStyleErrors()
    {
        using var agent = new AgentProcess();
        var missing = await agent.Http.PostAsJsonAsync("containers/create", new { Image = "/no/such/rootfs", Cmd = new[] { "true" } });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("\"message\":\"No such image: /no/such/rootfs\"", await missing.Content.ReadAsStringAsync());
        var badCap = await agent.Http.PostAsJsonAsync("containers/create", new { Image = TestEnvironment.BusyboxRootfs, Cmd = new[] { "true" }, HostConfig = new { CapAdd = new[] { "NOT_A_CAP" } } });
        Assert.Equal(HttpStatusCode.BadRequest, badCap.StatusCode);
        Assert.Contains("unknown capability", await badCap.Content.ReadAsStringAsync());
        var noBinary = await agent.CreateAsync(new { Image = TestEnvironment.BusyboxRootfs, Cmd = new[] { "no-such-binary" } });
        var start = await agent.PostAsync($"containers/{noBinary}/start");
        Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
        Assert.Contains("executable file not found", await start.Content.ReadAsStringAsync());
        using (var state = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{noBinary}/json")))
        {
            var s = state.RootElement.GetProperty("State");
            Assert.Equal("created", s.GetProperty("Status").GetString()); // as dockerd keeps it
            Assert.Equal(127, s.GetProperty("ExitCode").GetInt32());
            Assert.Contains("executable file not found", s.GetProperty("Error").GetString());
        }
        Assert.Empty(Leaks.ProcessesInCgroupsNamed(noBinary));
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.GetAsync("containers/nope/json")).StatusCode);
    }
}
