using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>docker events, restart policies and health checks against a real agent with real containers, through the docker CLI.</summary>
public sealed class AgentEventsTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Polls until the condition holds (a deadline, not a timed assertion).</summary>
    private static async Task<string> EventuallyAsync(Func<string> read, Func<string, bool> done, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = read();
        while (!done(last))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: last seen \"{last}\"");
            await Task.Delay(200);
            last = read();
        }
        return last;
    }

    /// <summary>
    /// The docker CLI sends --until in whole seconds (0s: this second, truncated), as dockerd reads it: events of the
    /// current second are past it. So a history query waits for the next second first.
    /// </summary>
    private static async Task NextSecondAsync()
    {
        var next = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1;
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() < next)
            await Task.Delay(50);
    }

    private static string Inspect(AgentProcess agent, string name, string format) => agent.DockerOk("inspect", "-f", format, name).Trim();

    [RequiresRootFact]
    public async Task EventsReplayFilterAndStreamAsTheDockerCliExpects()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("evbox:1");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(3, agent.Docker("run", "--name", "ev", "-l", "team=a", "evbox:1", "sh", "-c", "exit 3").ExitCode);
        agent.DockerOk("tag", "evbox:1", "evbox:2");
        agent.DockerOk("rename", "ev", "ev2");
        agent.DockerOk("rm", "ev2");
        agent.DockerOk("rmi", "evbox:2");

        // --since 1m --until 0s: the history, then the command ends by itself
        await NextSecondAsync();
        var all = Lines(agent.DockerOk("events", "--since", "1m", "--until", "0s", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"));
        var container = all.Where(l => l.StartsWith("container ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["container create ev", "container attach ev", "container start ev", "container die ev", "container rename ev2", "container destroy ev2"],
            container.Where(l => !l.Contains(" kill ", StringComparison.Ordinal)));
        Assert.Contains("image tag evbox:2", all);
        Assert.Contains("image untag evbox:2", all);

        var dies = Lines(agent.DockerOk("events", "--since", since, "--until", "0s", "--filter", "type=container", "--filter", "event=die",
            "--format", "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.team}}"));
        Assert.Equal(["ev 3 a"], dies);
        Assert.Empty(Lines(agent.DockerOk("events", "--since", since, "--until", "0s", "--filter", "container=nope")));
        Assert.Equal(2, Lines(agent.DockerOk("events", "--since", since, "--until", "0s", "--filter", "type=image", "--filter", "image=evbox:2")).Length);
        Assert.Single(Lines(agent.DockerOk("events", "--since", since, "--until", "0s", "--filter", "label=team=a", "--filter", "event=create")));
        Assert.Contains("invalid filter 'bogus'", agent.Docker("events", "--since", "1m", "--until", "0s", "--filter", "bogus=1").Stderr);

        // live: a stream started before the event sees it; legacy fields are there for old clients
        var psi = new ProcessStartInfo(TestEnvironment.DockerCli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-H", "unix://" + agent.Socket, "events", "--filter", "type=container", "--filter", "event=die", "--format", "{{json .}}" })
            psi.ArgumentList.Add(a);
        using var live = Process.Start(psi)!;
        try
        {
            var firstLine = live.StandardOutput.ReadLineAsync();
            // the stream may not be subscribed yet when the first container dies: keep making events until one arrives
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!firstLine.IsCompleted)
            {
                Assert.True(DateTime.UtcNow < deadline, "no live event arrived");
                Assert.Equal(7, agent.Docker("run", "--rm", "evbox:1", "sh", "-c", "exit 7").ExitCode);
                await Task.WhenAny(firstLine, Task.Delay(500));
            }
            var line = await firstLine;
            using var doc = JsonDocument.Parse(line!);
            Assert.Equal("die", doc.RootElement.GetProperty("Action").GetString());
            Assert.Equal("die", doc.RootElement.GetProperty("status").GetString());
            Assert.Equal("evbox:1", doc.RootElement.GetProperty("from").GetString());
            Assert.Equal("7", doc.RootElement.GetProperty("Actor").GetProperty("Attributes").GetProperty("exitCode").GetString());
            Assert.Equal("local", doc.RootElement.GetProperty("scope").GetString());
        }
        finally
        {
            live.Kill();
            live.WaitForExit();
        }
        // the client went away: the agent goes on as before
        agent.DockerOk("run", "--rm", "evbox:1", "true");
    }

    [RequiresRootFact]
    public async Task OnFailureRestartsUpToItsMaximumAndAlwaysRestartsUntilTheUserStops()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("evbox:1");
        agent.DockerOk("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "evbox:1", "sh", "-c", "exit 3");
        await EventuallyAsync(() => Inspect(agent, "flaky", "{{.RestartCount}} {{.State.Status}} {{.State.Restarting}}"), s => s == "2 exited false", "on-failure:2");
        var since = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await NextSecondAsync();
        Assert.Equal(3, Lines(agent.DockerOk("events", "--since", since, "--until", "0s", "--filter", "container=flaky", "--filter", "event=die")).Length);

        agent.DockerOk("run", "-d", "--name", "ok", "--restart", "on-failure", "evbox:1", "true");
        var okState = await EventuallyAsync(() => Inspect(agent, "ok", "{{.State.Status}} {{.RestartCount}}"), s => s.StartsWith("exited", StringComparison.Ordinal), "on-failure, exit 0");
        Assert.Equal("exited 0", okState);

        // the command runs 0.3 s, or a minute once /hold/on exists: the user's start below is then the only start
        var hold = Directory.CreateTempSubdirectory("cc-hold-");
        try
        {
            agent.DockerOk("run", "-d", "--name", "forever", "--restart", "always", "-v", hold.FullName + ":/hold", "evbox:1",
                "sh", "-c", "if [ -e /hold/on ]; then sleep 60; else sleep 0.3; fi");
            await EventuallyAsync(() => Inspect(agent, "forever", "{{.RestartCount}}"), s => int.Parse(s) >= 2, "always restarts");
            agent.DockerOk("stop", "-t", "1", "forever");
            await EventuallyAsync(() => Inspect(agent, "forever", "{{.State.Status}} {{.State.Restarting}}"), s => s == "exited false",
                "always stays stopped after docker stop");
            await Task.Delay(500); // a restart still due would have happened by now
            Assert.Equal("exited false", Inspect(agent, "forever", "{{.State.Status}} {{.State.Restarting}}"));
            // a user start begins the count anew
            File.WriteAllText(Path.Combine(hold.FullName, "on"), "");
            agent.DockerOk("start", "forever");
            Assert.Equal("running 0", Inspect(agent, "forever", "{{.State.Status}} {{.RestartCount}}"));
            agent.DockerOk("rm", "-f", "forever");
        }
        finally
        {
            hold.Delete(recursive: true);
        }

        Assert.Contains("maximum retry count", agent.Docker("run", "-d", "--restart", "always:3", "evbox:1", "true").Stderr);
        Assert.Contains("--restart", agent.Docker("create", "--rm", "--restart", "always", "evbox:1", "true").Stderr);
    }

    [RequiresRootFact]
    public async Task A_container_waiting_for_its_policy_restart_shows_as_restarting_and_execs_show_in_inspect()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("evbox:1");
        // the backoff doubles from 100 ms: after a few quick failures the wait is long enough to see
        agent.DockerOk("run", "-d", "--name", "crashy", "--restart", "always", "evbox:1", "sh", "-c", "exit 4");
        await EventuallyAsync(() => agent.DockerOk("ps", "-f", "name=crashy", "--format", "{{.Status}}").Trim(),
            s => s.StartsWith("Restarting (4)", StringComparison.Ordinal), "ps shows Restarting (4)");
        await EventuallyAsync(() => Inspect(agent, "crashy", "{{.State.Status}} {{.State.Running}} {{.State.Restarting}}"), s => s == "restarting true true", "inspect");
        await EventuallyAsync(() => agent.DockerOk("ps", "-q", "-f", "status=restarting").Trim(), s => s.Length > 0, "status=restarting filter");
        // a stop between two runs calls the policy off (it once answered 304 and let the restart go ahead)
        await EventuallyAsync(() => Inspect(agent, "crashy", "{{.State.Restarting}}"), s => s == "true", "restarting again");
        agent.DockerOk("stop", "crashy");
        Assert.Equal("exited false false", Inspect(agent, "crashy", "{{.State.Status}} {{.State.Running}} {{.State.Restarting}}"));
        agent.DockerOk("rm", "-f", "crashy");

        agent.DockerOk("run", "-d", "--name", "busy", "evbox:1", "sleep", "60");
        Assert.Equal("null", Inspect(agent, "busy", "{{json .ExecIDs}}"));
        agent.DockerOk("exec", "-d", "busy", "sleep", "30");
        await EventuallyAsync(() => Inspect(agent, "busy", "{{len .ExecIDs}}"), s => s == "1", "the running exec in ExecIDs");
    }

    [RequiresRootFact]
    public async Task RestartPoliciesStillApplyAfterTheAgentCrashes()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("evbox:1");
        // exits while the agent is down: the new agent reaps it and applies the policy
        agent.DockerOk("run", "-d", "--name", "late", "--restart", "on-failure:1", "evbox:1", "sh", "-c", "sleep 2; exit 5");
        agent.DockerOk("run", "-d", "--name", "always", "--restart", "always", "evbox:1", "sleep", "600");
        agent.DockerOk("run", "-d", "--name", "unless", "--restart", "unless-stopped", "evbox:1", "sleep", "600");
        agent.DockerOk("stop", "-t", "1", "always");
        agent.DockerOk("stop", "-t", "1", "unless");
        agent.Crash();
        agent.Start();
        await EventuallyAsync(() => Inspect(agent, "late", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}"), s => s == "1 exited 5", "on-failure after the crash");
        // dockerd's rule at daemon start: always comes back even though the user stopped it, unless-stopped does not
        await EventuallyAsync(() => Inspect(agent, "always", "{{.State.Status}}"), s => s == "running", "always after agent start");
        Assert.Equal("0", Inspect(agent, "always", "{{.RestartCount}}")); // the agent's restart, not the container's
        Assert.Equal("exited", Inspect(agent, "unless", "{{.State.Status}}"));
    }

    [RequiresRootFact]
    public async Task HealthChecksGoHealthyOrUnhealthyAndShowInPsInspectAndEvents()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("evbox:1");
        agent.DockerOk("run", "-d", "--name", "good", "--health-cmd", "test -f /tmp/ok", "--health-interval", "1s", "--health-retries", "2",
            "evbox:1", "sh", "-c", "sleep 3; touch /tmp/ok; sleep 60");
        agent.DockerOk("run", "-d", "--name", "bad", "--health-cmd", "echo failing; exit 1", "--health-interval", "1s", "--health-retries", "2", "evbox:1", "sleep", "60");
        agent.DockerOk("run", "-d", "--name", "slow", "--health-cmd", "sleep 30", "--health-timeout", "1s", "--health-interval", "1s", "--health-retries", "1",
            "evbox:1", "sleep", "60");
        agent.DockerOk("run", "-d", "--name", "none", "evbox:1", "sleep", "60");

        await EventuallyAsync(() => Inspect(agent, "good", "{{.State.Health.Status}}"), s => s == "healthy", "good becomes healthy");
        await EventuallyAsync(() => agent.DockerOk("ps", "-f", "name=good", "--format", "{{.Status}}").Trim(), s => s.EndsWith("(healthy)", StringComparison.Ordinal), "ps shows healthy");
        await EventuallyAsync(() => Inspect(agent, "bad", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}"), s => s.StartsWith("unhealthy", StringComparison.Ordinal), "bad becomes unhealthy");
        Assert.Matches(@"^Up .* \(unhealthy\)$", agent.DockerOk("ps", "-f", "name=bad", "--format", "{{.Status}}").Trim());
        Assert.Equal("failing", Inspect(agent, "bad", "{{(index .State.Health.Log 0).Output}}"));
        var timedOut = await EventuallyAsync(() => Inspect(agent, "slow", "{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}"),
            s => s.StartsWith("unhealthy", StringComparison.Ordinal), "a probe past its timeout fails");
        Assert.Contains("-1 Health check exceeded timeout", timedOut);
        // timed-out probes are killed: after three of them, at most the one under way runs
        await EventuallyAsync(() => Inspect(agent, "slow", "{{len .State.Health.Log}}"), n => int.Parse(n) >= 3, "three timed-out probes");
        Assert.True(Lines(agent.DockerOk("top", "slow")).Count(l => l.Contains("sleep 30", StringComparison.Ordinal)) <= 1, agent.DockerOk("top", "slow"));
        Assert.Equal("null", Inspect(agent, "none", "{{json .State.Health}}"));
        Assert.Matches(@"^Up (Less than a second|\d+ seconds?)$", agent.DockerOk("ps", "-f", "name=none", "--format", "{{.Status}}").Trim());

        await NextSecondAsync();
        var statuses = Lines(agent.DockerOk("events", "--since", "1m", "--until", "0s", "--filter", "event=health_status", "--format", "{{.Actor.Attributes.name}} {{.Action}}"));
        Assert.Contains("good health_status: healthy", statuses);
        Assert.Contains("bad health_status: unhealthy", statuses);
        var probeExecs = Lines(agent.DockerOk("events", "--since", "1m", "--until", "0s", "--filter", "container=bad", "--format", "{{.Action}}"));
        Assert.Contains("exec_create: /bin/sh -c echo failing; exit 1", probeExecs); // as dockerd announces its probes
        Assert.Contains("exec_die", probeExecs);

        // the checker resumes after an agent restart: new results appear in the log
        agent.Crash();
        var restartedAt = DateTime.UtcNow;
        agent.Start();
        await EventuallyAsync(() => Inspect(agent, "bad", "{{json (index .State.Health.Log 4).Start}}"),
            s => JsonSerializer.Deserialize<DateTime>(s).ToUniversalTime() > restartedAt, "probes after the agent restart");

        // and stops with the container
        agent.DockerOk("stop", "-t", "1", "bad");
        var logAfterStop = Inspect(agent, "bad", "{{json .State.Health.Log}}");
        agent.DockerOk("run", "--rm", "evbox:1", "sleep", "2"); // two intervals pass
        Assert.Equal(logAfterStop, Inspect(agent, "bad", "{{json .State.Health.Log}}"));
    }
}
