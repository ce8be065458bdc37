using System.Net.Http.Headers;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// Interactive containers through the agent, with the docker CLI (on a real pseudo-terminal for -t)
/// and with the API's hijacked connections: attach, terminals, stdin, exec, resize, raw logs.
/// </summary>
public sealed class AgentInteractiveTests
{
    private const string Image = "box:1";

    private static async Task<AgentProcess> AgentWithImage()
    {
        var agent = new AgentProcess();
        var archive = new ByteArrayContent(ImageArchive.DockerSave(Image, ImageArchive.BusyboxLayer(), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } }));
        archive.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        Assert.True((await agent.Http.PostAsync("images/load", archive)).IsSuccessStatusCode);
        return agent;
    }

    private static TestEnvironment.Result Docker(AgentProcess agent, params string[] args) =>
        TestEnvironment.Run("docker", ["-H", $"unix://{agent.Socket}", .. args]);

    private static TestEnvironment.Result DockerWithInput(AgentProcess agent, string input, params string[] args) =>
        TestEnvironment.RunWithInput("docker", input, TimeSpan.FromSeconds(60), ["-H", $"unix://{agent.Socket}", .. args]);

    private static PtySession DockerOnTerminal(AgentProcess agent, params string[] args) =>
        PtySession.Start(30, 100, "/usr/local/bin/docker", ["-H", $"unix://{agent.Socket}", .. args]);

    private static async Task<JsonElement> ExecInspect(AgentProcess agent, string execId)
    {
        using var doc = JsonDocument.Parse(await agent.Http.GetStringAsync($"exec/{execId}/json"));
        return doc.RootElement.Clone();
    }

    /// <summary>No monitor of this agent runs and none of their sockets is left.</summary>
    private static void AssertNoMonitors(AgentProcess agent)
    {
        var io = Path.Combine(agent.Dir, "run", "io");
        Assert.Empty(Directory.Exists(io) ? Directory.GetFiles(io) : []);
        var shims = Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Where(d =>
        {
            try
            {
                var cmd = File.ReadAllText(Path.Combine(d, "cmdline"));
                return cmd.Contains("ccshim", StringComparison.Ordinal) && cmd.Contains(agent.Dir, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        }).ToList();
        Assert.True(shims.Count == 0, $"monitors still running: {string.Join(", ", shims)}");
    }

    private static async Task WaitGone(AgentProcess agent)
    {
        for (var i = 0; i < 200 && Docker(agent, "ps", "-aq").Stdout.Trim().Length > 0; i++)
            await Task.Delay(50);
    }

    [RequiresRootFact]
    public async Task DockerRunAttachesStreamsReturnsTheExitCodeAndRemoves()
    {
        using var agent = await AgentWithImage();
        var run = Docker(agent, "run", "--rm", Image, "sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("out\n", run.Stdout);
        Assert.Equal("err\n", run.Stderr);

        var piped = DockerWithInput(agent, "hello\nworld\n", "run", "--rm", "-i", Image, "cat");
        Assert.True(piped.ExitCode == 0, piped.Stderr);
        Assert.Equal("hello\nworld\n", piped.Stdout); // stdin to the end, then the output after the client's half-close

        var detached = Docker(agent, "run", "-d", Image, "sh", "-c", "echo started; sleep 1000");
        var id = detached.Stdout.Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);
        var inspect = await agent.InspectAsync(id);
        Assert.True(inspect.GetProperty("State").GetProperty("Running").GetBoolean());
        Assert.True(Docker(agent, "rm", "-f", id).ExitCode == 0);
        await WaitGone(agent); // --rm removes after the exit record is in
        Assert.Equal("", Docker(agent, "ps", "-aq").Stdout.Trim());
        AssertNoMonitors(agent);
    }

    [RequiresRootFact]
    public async Task DockerRunItGivesAResizedTerminalAndItsExitCode()
    {
        using var agent = await AgentWithImage();
        using (var term = DockerOnTerminal(agent, "run", "-it", "--rm", Image, "sh"))
        {
            term.WaitFor("# ");
            term.Type("busybox stty size; echo TERM=$TERM; busybox tty\r");
            term.WaitFor("/dev/pts/0");
            Assert.Contains("30 100", term.Screen); // the CLI's terminal size reached the container's
            Assert.Contains("TERM=xterm", term.Screen);
            term.Type("exit 7\r");
            Assert.Equal(7, term.WaitExit());
        }
        await WaitGone(agent);
        AssertNoMonitors(agent);
    }

    [RequiresRootFact]
    public async Task DockerAttachSeesTheTerminalAndDetachesWithTheKeys()
    {
        using var agent = await AgentWithImage();
        var id = Docker(agent, "run", "-dit", Image, "sh").Stdout.Trim();
        using (var term = DockerOnTerminal(agent, "attach", id))
        {
            term.Type("echo attached-$((6*7))\r");
            term.WaitFor("attached-42");
            term.Type("\x10\x11"); // ctrl-p ctrl-q
            term.WaitFor("read escape sequence");
            term.WaitExit();
        }
        Assert.True((await agent.InspectAsync(id)).GetProperty("State").GetProperty("Running").GetBoolean(), "detaching must leave it running");
        Assert.True(Docker(agent, "rm", "-f", id).ExitCode == 0);
        AssertNoMonitors(agent);
    }

    [RequiresRootFact]
    public async Task DockerExecInAllItsForms()
    {
        using var agent = await AgentWithImage();
        var id = Docker(agent, "run", "-d", Image, "sleep", "1000").Stdout.Trim();

        var plain = Docker(agent, "exec", id, "echo", "exec-hi");
        Assert.Equal((0, "exec-hi\n"), (plain.ExitCode, plain.Stdout));
        var opts = Docker(agent, "exec", "-u", "nobody", "-w", "/tmp", "-e", "FOO=bar", id, "sh", "-c", "id -u; pwd; echo $FOO");
        Assert.Equal("65534\n/tmp\nbar\n", opts.Stdout);
        var stdin = DockerWithInput(agent, "piped\n", "exec", "-i", id, "cat");
        Assert.Equal("piped\n", stdin.Stdout);
        Assert.Equal(5, Docker(agent, "exec", id, "sh", "-c", "exit 5").ExitCode);

        var missing = Docker(agent, "exec", id, "no-such-binary");
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("OCI runtime exec failed: exec failed: unable to start container process: exec: \"no-such-binary\": executable file not found in $PATH",
            missing.Stdout + missing.Stderr);
        Assert.Equal(126, Docker(agent, "exec", id, "/etc/passwd").ExitCode); // not executable

        Assert.Equal(0, Docker(agent, "exec", "-d", id, "sh", "-c", "echo detached > /tmp/d").ExitCode);
        var seen = "";
        for (var i = 0; i < 100 && seen != "detached\n"; i++, await Task.Delay(50))
            seen = Docker(agent, "exec", id, "cat", "/tmp/d").Stdout;
        Assert.Equal("detached\n", seen);

        using (var term = DockerOnTerminal(agent, "exec", "-it", id, "sh"))
        {
            term.WaitFor("# ");
            term.Type("busybox stty size; busybox tty\r");
            term.WaitFor("/dev/pts/");
            Assert.Contains("30 100", term.Screen);
            term.Type("exit 9\r");
            Assert.Equal(9, term.WaitExit());
        }
        Assert.True(Docker(agent, "rm", "-f", id).ExitCode == 0);
        AssertNoMonitors(agent);
        Assert.Empty(Leaks.ProcessesInCgroupsNamed(id)); // exec'd processes went with the container
    }

    [RequiresRootFact]
    public async Task ExecInspectShowsRunningThenTheExitCode()
    {
        using var agent = await AgentWithImage();
        var id = await agent.CreateAsync(new { Image, Cmd = new[] { "sleep", "1000" } });
        Assert.True((await agent.PostAsync($"containers/{id}/start")).IsSuccessStatusCode);
        var create = await agent.Http.PostAsync($"containers/{id}/exec", JsonContent(new { Cmd = new[] { "sh", "-c", "read x < /tmp/go 2>/dev/null || sleep 0.5; exit 4" } }));
        Assert.Equal(201, (int)create.StatusCode);
        var execId = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("Id").GetString()!;
        var before = await ExecInspect(agent, execId);
        Assert.False(before.GetProperty("Running").GetBoolean());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("ExitCode").ValueKind);

        Assert.True((await agent.Http.PostAsync($"exec/{execId}/start", JsonContent(new { Detach = true }))).IsSuccessStatusCode);
        var running = await ExecInspect(agent, execId);
        Assert.True(running.GetProperty("Running").GetBoolean());
        Assert.True(running.GetProperty("Pid").GetInt32() > 0);
        var after = running;
        for (var i = 0; i < 200 && after.GetProperty("Running").GetBoolean(); i++, await Task.Delay(50))
            after = await ExecInspect(agent, execId);
        Assert.Equal(4, after.GetProperty("ExitCode").GetInt32());
        Assert.Equal(id, after.GetProperty("ContainerID").GetString());
        Assert.Equal(409, (int)(await agent.Http.PostAsync($"exec/{execId}/start", JsonContent(new { Detach = true }))).StatusCode);
        Assert.Equal(404, (int)(await agent.Http.GetAsync("exec/0123456789abcdef/json")).StatusCode);
        Assert.Equal(400, (int)(await agent.Http.PostAsync($"containers/{id}/exec", JsonContent(new { Cmd = Array.Empty<string>() }))).StatusCode);
    }

    [RequiresRootFact]
    public async Task TwoAttachedClientsBothSeeNewOutputAndStdinReachesTheContainer()
    {
        using var agent = await AgentWithImage();
        var id = await agent.CreateAsync(new { Image, OpenStdin = true, Cmd = new[] { "sh", "-c", "echo early; while read l; do echo got $l; echo warn $l >&2; done" } });
        Assert.True((await agent.PostAsync($"containers/{id}/start")).IsSuccessStatusCode);
        for (var i = 0; i < 100 && !(await agent.LogsAsync(id)).Any(); i++)
            await Task.Delay(50);

        using var writer = await HijackClient.OpenAsync(agent, $"containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1", tty: false);
        using var watcher = await HijackClient.OpenAsync(agent, $"containers/{id}/attach?stream=1&stdout=1&logs=1", tty: false, upgrade: false);
        Assert.StartsWith("HTTP/1.1 101", writer.Head);
        Assert.StartsWith("HTTP/1.1 200 OK", watcher.Head);
        Assert.Contains("application/vnd.docker.multiplexed-stream", writer.Head);
        Assert.Contains("early\n", await watcher.ReadUntilAsync("early")); // logs=1 replays what came before
        await writer.SendAsync("one\n");
        Assert.Contains("got one\n", await writer.ReadUntilAsync("got one"));
        Assert.Contains("got one\n", await watcher.ReadUntilAsync("got one"));
        Assert.DoesNotContain("early", writer.Stdout); // no logs asked: only what came after attaching
        await writer.ReadUntilAsync("never", seconds: 1);
        Assert.Contains("warn one", writer.Stderr); // stderr apart, in its own frames
        Assert.Equal("", watcher.Stderr); // the watcher did not ask for stderr

        // detach keys end one attach and leave the container (and the other client) alone
        using var detacher = await HijackClient.OpenAsync(agent, $"containers/{id}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a", tty: false);
        await detacher.SendAsync("two\n\x01");
        await detacher.ReadToEndAsync();
        Assert.True(detacher.Ended);
        Assert.Contains("got two", await watcher.ReadUntilAsync("got two"));
        Assert.True(agent.InspectAsync(id).Result.GetProperty("State").GetProperty("Running").GetBoolean());

        writer.CloseWrite(); // not StdinOnce: the attach ends and the container's stdin stays open
        await writer.ReadToEndAsync();
        Assert.True(writer.Ended);
        using var later = await HijackClient.OpenAsync(agent, $"containers/{id}/attach?stream=1&stdin=1&stdout=1", tty: false);
        await later.SendAsync("three\n");
        Assert.Contains("got three", await later.ReadUntilAsync("got three"));
    }

    [RequiresRootFact]
    public async Task ResizeReachesContainerAndExecTerminals()
    {
        using var agent = await AgentWithImage();
        var id = await agent.CreateAsync(new { Image, Tty = true, OpenStdin = true, Cmd = new[] { "sh" } });
        Assert.True((await agent.PostAsync($"containers/{id}/start")).IsSuccessStatusCode);
        using var attach = await HijackClient.OpenAsync(agent, $"containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1", tty: true);
        Assert.Contains("application/vnd.docker.raw-stream", attach.Head);
        Assert.True((await agent.PostAsync($"containers/{id}/resize?h=33&w=77")).IsSuccessStatusCode);
        await attach.SendAsync("busybox stty size\n");
        Assert.Contains("33 77", await attach.ReadUntilAsync("33 77"));
        Assert.Equal(400, (int)(await agent.PostAsync($"containers/{id}/resize?h=x&w=1")).StatusCode);

        var create = await agent.Http.PostAsync($"containers/{id}/exec", JsonContent(new { AttachStdin = true, AttachStdout = true, Tty = true, Cmd = new[] { "sh" } }));
        var execId = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("Id").GetString()!;
        using var exec = await HijackClient.OpenAsync(agent, $"exec/{execId}/start", tty: true, jsonBody: "{\"Detach\":false,\"Tty\":true}");
        Assert.StartsWith("HTTP/1.1 101", exec.Head); // a hijack with a request body (Kestrel's upgrade refuses those)
        Assert.True((await agent.PostAsync($"exec/{execId}/resize?h=44&w=88")).IsSuccessStatusCode);
        await exec.SendAsync("busybox stty size; exit 3\n");
        Assert.Contains("44 88", await exec.ReadToEndAsync());
        Assert.True(exec.Ended);
        Assert.Equal(3, (await ExecInspect(agent, execId)).GetProperty("ExitCode").GetInt32());
    }

    [RequiresRootFact]
    public async Task LogsOfATerminalContainerAreRaw()
    {
        using var agent = await AgentWithImage();
        var id = Docker(agent, "run", "-d", "-t", Image, "sh", "-c", "echo one; echo two").Stdout.Trim();
        Assert.Equal(0, Docker(agent, "wait", id).ExitCode);
        var raw = await agent.Http.GetByteArrayAsync($"containers/{id}/logs?stdout=1&stderr=1");
        Assert.Equal("one\r\ntwo\r\n", System.Text.Encoding.UTF8.GetString(raw)); // no frame headers, the terminal's CRLF kept
        Assert.Equal("one\r\ntwo\r\n", Docker(agent, "logs", id).Stdout);
    }

    [RequiresRootFact]
    public async Task AttachAndExecWorkAfterTheAgentRestarts()
    {
        using var agent = await AgentWithImage();
        var id = await agent.CreateAsync(new { Image, OpenStdin = true, Cmd = new[] { "sh", "-c", "while read l; do echo got $l; done" } });
        Assert.True((await agent.PostAsync($"containers/{id}/start")).IsSuccessStatusCode);
        var create = await agent.Http.PostAsync($"containers/{id}/exec", JsonContent(new { Cmd = new[] { "sh", "-c", "sleep 1; exit 6" } }));
        var execId = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("Id").GetString()!;
        Assert.True((await agent.Http.PostAsync($"exec/{execId}/start", JsonContent(new { Detach = true }))).IsSuccessStatusCode);

        agent.Crash();
        await Task.Delay(1500); // the exec ends while no agent runs
        agent.Start();

        Assert.Equal(6, (await ExecInspect(agent, execId)).GetProperty("ExitCode").GetInt32()); // its monitor recorded it
        using var attach = await HijackClient.OpenAsync(agent, $"containers/{id}/attach?stream=1&stdin=1&stdout=1", tty: false);
        await attach.SendAsync("again\n");
        Assert.Contains("got again", await attach.ReadUntilAsync("got again"));
        var exec = Docker(agent, "exec", id, "echo", "after-restart");
        Assert.Equal((0, "after-restart\n"), (exec.ExitCode, exec.Stdout));
        Assert.True(Docker(agent, "rm", "-f", id).ExitCode == 0);
        await attach.ReadToEndAsync();
        Assert.True(attach.Ended, "removing the container ends its attach streams");
        AssertNoMonitors(agent);
        Assert.Empty(Leaks.ProcessesInCgroupsNamed(id));
    }

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
