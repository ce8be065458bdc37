using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContainerConsole.Integration.Tests;

/// <summary>The agent's container operations as the docker CLI uses them: ps, rename, top, stats, update, cp, wait, prune, restart, kill.</summary>
public sealed class AgentContainerOpsTests
{
    private const string DockerCli = "/usr/local/bin/docker";

    private static async Task<AgentProcess> AgentWithImageAsync()
    {
        var agent = new AgentProcess();
        var archive = ImageArchive.DockerSave("opsbox:1", ImageArchive.BusyboxLayer(), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } });
        var body = new ByteArrayContent(archive);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        Assert.True((await agent.Http.PostAsync("images/load", body)).IsSuccessStatusCode);
        return agent;
    }

    private static TestEnvironment.Result Docker(AgentProcess agent, params string[] args) =>
        TestEnvironment.Run(DockerCli, ["-H", "unix://" + agent.Socket, .. args]);

    private static string Ok(AgentProcess agent, params string[] args)
    {
        var r = Docker(agent, args);
        Assert.True(r.ExitCode == 0, $"docker {string.Join(' ', args)}: {r.Stderr}");
        return r.Stdout;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string CgroupFile(string controller, string id, string file) =>
        File.ReadAllText($"/sys/fs/cgroup/{controller}/containerconsole/{id}/{file}").Trim();

    [RequiresRootFact]
    public async Task PsFiltersFormatsAndRenameLookAsAgainstDockerd()
    {
        using var agent = await AgentWithImageAsync();
        Ok(agent, "create", "--name", "web", "-l", "app=web", "opsbox:1", "sleep", "600");
        Ok(agent, "start", "web");
        Ok(agent, "create", "--name", "failed", "opsbox:1", "sh", "-c", "exit 3");
        Ok(agent, "start", "failed");
        Assert.Equal("3", Ok(agent, "wait", "failed").Trim());
        Ok(agent, "create", "--name", "fresh", "opsbox:1", "true");

        Assert.Matches(new Regex(@"^web Up (Less than a second|\d+ seconds?)\n$"), Ok(agent, "ps", "--format", "{{.Names}} {{.Status}}"));
        var all = Lines(Ok(agent, "ps", "-a", "--format", "{{.Names}} {{.Status}}"));
        Assert.Equal(["fresh Created", "failed", "web"], all.Select(l => l.StartsWith("failed Exited (3) ", StringComparison.Ordinal) ? "failed" : l.Split(' ')[0] == "web" ? "web" : l));
        Assert.All(Lines(Ok(agent, "ps", "-a", "-q")), l => Assert.Matches("^[0-9a-f]{12}$", l));
        Assert.Equal(3, Lines(Ok(agent, "ps", "-aq")).Length);
        Assert.Equal(["web"], Lines(Ok(agent, "ps", "-a", "-f", "name=we", "--format", "{{.Names}}")));
        Assert.Equal(["web"], Lines(Ok(agent, "ps", "-a", "-f", "label=app=web", "--format", "{{.Names}}")));
        Assert.Equal(["failed"], Lines(Ok(agent, "ps", "-f", "status=exited", "--format", "{{.Names}}")));
        Assert.Equal(["failed"], Lines(Ok(agent, "ps", "-a", "-f", "exited=3", "--format", "{{.Names}}")));
        Assert.Equal(["fresh", "failed", "web"], Lines(Ok(agent, "ps", "-a", "-f", "ancestor=opsbox:1", "--format", "{{.Names}}")));
        Assert.Equal(["fresh"], Lines(Ok(agent, "ps", "-n", "1", "--format", "{{.Names}}")));
        Assert.Equal(["failed", "web"], Lines(Ok(agent, "ps", "-a", "-f", "before=fresh", "--format", "{{.Names}}")));
        Assert.Equal("\"sh -c 'exit 3'\"", Ok(agent, "ps", "-a", "-f", "name=failed", "--format", "{{.Command}}").Trim());
        Assert.Equal("opsbox:1", Ok(agent, "ps", "--format", "{{.Image}}").Trim());

        Ok(agent, "rename", "fresh", "renamed.v2");
        Assert.Equal(["renamed.v2"], Lines(Ok(agent, "ps", "-a", "-f", "status=created", "--format", "{{.Names}}")));
        Assert.Contains("is already in use", Docker(agent, "rename", "renamed.v2", "web").Stderr);
        Assert.Contains("Invalid container name", Docker(agent, "rename", "renamed.v2", "_bad").Stderr);
        Assert.Contains("No such container: nope", Docker(agent, "rename", "nope", "x").Stderr);
        Assert.Contains("Invalid container name", Docker(agent, "create", "--name", "a/b", "opsbox:1", "true").Stderr);
        var shortId = Ok(agent, "ps", "-q", "-f", "name=web").Trim();
        Assert.Equal("/web", Ok(agent, "inspect", "-f", "{{.Name}}", shortId[..5]).Trim());
    }

    [RequiresRootFact]
    public async Task TopStatsUpdateKillAndRestartActOnTheRealContainer()
    {
        using var agent = await AgentWithImageAsync();
        Ok(agent, "create", "--name", "svc", "opsbox:1", "sh", "-c", "trap 'echo got usr1' USR1; while true; do sleep 0.1; done");
        Ok(agent, "start", "svc");
        var id = Ok(agent, "inspect", "-f", "{{.Id}}", "svc").Trim();

        var top = Lines(Ok(agent, "top", "svc"));
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], top[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(top.Skip(1), l => l.Contains("sh -c trap", StringComparison.Ordinal));
        Assert.DoesNotContain(top.Skip(1), l => l.Contains("ccagent", StringComparison.Ordinal));

        Ok(agent, "update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5", "--pids-limit", "50", "svc");
        Assert.Equal("67108864", CgroupFile("memory", id, "memory.limit_in_bytes"));
        Assert.Equal("50000", CgroupFile("cpu", id, "cpu.cfs_quota_us"));
        Assert.Equal("50", CgroupFile("pids", id, "pids.max"));
        Assert.Equal("67108864 134217728 500000000 50", Ok(agent, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}", "svc").Trim());

        var stats = Ok(agent, "stats", "--no-stream", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}", "svc").Trim().Split('|');
        Assert.Equal("svc", stats[0]);
        Assert.Matches(@"^\d+\.\d\d%$", stats[1]);
        Assert.Matches(@"^[\d.]+[KM]iB / 64MiB$", stats[2]);
        Assert.True(int.Parse(stats[3]) >= 1, string.Join('|', stats));

        Ok(agent, "kill", "-s", "USR1", "svc");
        await Task.Delay(400); // a second USR1 while the first is pending would merge with it
        Ok(agent, "kill", "-s", "SIGUSR1", "svc");
        await Task.Delay(400);
        Assert.Equal(2, Regex.Count(Ok(agent, "logs", "svc"), "got usr1"));
        Assert.Contains("invalid signal", Docker(agent, "kill", "-s", "NOPE", "svc").Stderr);

        var started = Ok(agent, "inspect", "-f", "{{.State.StartedAt}}", "svc").Trim();
        Ok(agent, "restart", "-t", "1", "svc");
        Assert.Equal("running", Ok(agent, "inspect", "-f", "{{.State.Status}}", "svc").Trim());
        Assert.NotEqual(started, Ok(agent, "inspect", "-f", "{{.State.StartedAt}}", "svc").Trim());
        Assert.Equal("67108864", CgroupFile("memory", id, "memory.limit_in_bytes")); // the update survives a restart

        Ok(agent, "kill", "svc");
        Assert.Equal("137", Ok(agent, "wait", "svc").Trim());
        Assert.Contains("is not running", Docker(agent, "kill", "svc").Stderr);
    }

    private static byte[] Tar(params TarEntry[] entries)
    {
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
                tar.WriteEntry(e);
        }
        return ms.ToArray();
    }

    private static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };
    private static PaxTarEntry FileEntry(string name, string text) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };

    [RequiresRootFact]
    public async Task CpCopiesBothWaysAndSymlinksInTheContainerNeverReachTheHost()
    {
        using var agent = await AgentWithImageAsync();
        Ok(agent, "create", "--name", "live", "opsbox:1", "sleep", "600");
        Ok(agent, "start", "live");
        Ok(agent, "create", "--name", "stopped", "opsbox:1", "true");
        Assert.True(File.Exists("/etc/hostname")); // a host file the containers do not have
        var work = Directory.CreateTempSubdirectory("cc-cp-").FullName;
        var marker = "cc-cp-marker-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            File.WriteAllText(Path.Combine(work, "in.txt"), "from the host\n");
            File.WriteAllText(Path.Combine(work, marker), "must stay in the container\n");
            var links = Tar(Link("esc", "../../../../../../../.."), Link("root", "/"));
            foreach (var c in new[] { "live", "stopped" })
            {
                Ok(agent, "cp", Path.Combine(work, "in.txt"), $"{c}:/tmp/copied.txt");
                Ok(agent, "cp", $"{c}:/tmp/copied.txt", Path.Combine(work, $"{c}-out.txt"));
                Assert.Equal("from the host\n", File.ReadAllText(Path.Combine(work, $"{c}-out.txt")));
                Ok(agent, "cp", $"{c}:/etc", Path.Combine(work, $"{c}-etc"));
                Assert.StartsWith("root:x:0:0", File.ReadAllText(Path.Combine(work, $"{c}-etc", "passwd")));

                var put = await agent.Http.PutAsync($"containers/{c}/archive?path=/tmp", new ByteArrayContent(links));
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                // Reading through the links: the container's own files, never the host's.
                foreach (var via in new[] { "esc", "root" })
                {
                    Assert.Contains("Could not find the file", Docker(agent, "cp", $"{c}:/tmp/{via}/etc/hostname", Path.Combine(work, "leak")).Stderr);
                    Assert.False(File.Exists(Path.Combine(work, "leak")));
                    Ok(agent, "cp", $"{c}:/tmp/{via}/etc/passwd", Path.Combine(work, $"{c}-{via}-passwd"));
                    Assert.Equal("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", File.ReadAllText(Path.Combine(work, $"{c}-{via}-passwd")));
                }
                // Writing through them: lands at the container's root.
                Ok(agent, "cp", Path.Combine(work, marker), $"{c}:/tmp/esc/");
                Ok(agent, "cp", Path.Combine(work, marker), $"{c}:/tmp/root/tmp/");
                Assert.False(File.Exists("/" + marker), "docker cp wrote to the host's root");
                Assert.False(File.Exists("/tmp/" + marker), "docker cp wrote to the host's /tmp");
                Ok(agent, "cp", $"{c}:/{marker}", Path.Combine(work, $"{c}-marker"));
                Ok(agent, "cp", $"{c}:/tmp/{marker}", Path.Combine(work, $"{c}-tmp-marker"));

                var stat = await agent.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"containers/{c}/archive?path=/tmp/root"));
                using (var doc = JsonDocument.Parse(Convert.FromBase64String(stat.Headers.GetValues("X-Docker-Container-Path-Stat").Single())))
                {
                    Assert.Equal("root", doc.RootElement.GetProperty("name").GetString());
                    Assert.Equal("/", doc.RootElement.GetProperty("linkTarget").GetString());
                    Assert.Equal(1u << 27, doc.RootElement.GetProperty("mode").GetUInt32() & (1u << 27)); // Go's ModeSymlink
                }

                // Hostile archives are refused whole: nothing of them is written.
                foreach (var hostile in new[]
                {
                    Tar(FileEntry("ok-" + c, "x"), FileEntry("../../../../../../tmp/" + marker + "-evil", "x")),
                    Tar(FileEntry("ok-" + c, "x"), Link("lnk", "/"), FileEntry("lnk/tmp/" + marker + "-evil", "x")),
                    Tar(FileEntry("ok-" + c, "x"), new PaxTarEntry(TarEntryType.CharacterDevice, "mem") { DeviceMajor = 1, DeviceMinor = 1 }),
                })
                {
                    var r = await agent.Http.PutAsync($"containers/{c}/archive?path=/root", new ByteArrayContent(hostile));
                    Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                    Assert.Contains("Could not find the file", Docker(agent, "cp", $"{c}:/root/ok-{c}", Path.Combine(work, "nothing")).Stderr);
                }
                Assert.False(File.Exists($"/tmp/{marker}-evil"));
                Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.PutAsync($"containers/{c}/archive?path=/missing", new ByteArrayContent(Tar(FileEntry("a", "b"))))).StatusCode);
                Assert.Equal(HttpStatusCode.BadRequest, (await agent.Http.PutAsync($"containers/{c}/archive?path=/etc/passwd", new ByteArrayContent(Tar(FileEntry("a", "b"))))).StatusCode);
            }
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(agent.Dir, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [RequiresRootFact]
    public async Task WaitConditionsPruneAndForcedDelete()
    {
        using var agent = await AgentWithImageAsync();
        var id = await agent.CreateAsync(new { Image = "opsbox:1", Cmd = new[] { "sh", "-c", "sleep 0.3; exit 4" } }, "waiter");
        // not-running answers at once for a container that never started; next-exit waits for the run that follows.
        Assert.Contains("\"StatusCode\":0", await (await agent.PostAsync($"containers/{id}/wait?condition=not-running")).Content.ReadAsStringAsync());
        var nextExit = agent.PostAsync($"containers/{id}/wait?condition=next-exit");
        var removed = agent.PostAsync($"containers/{id}/wait?condition=removed");
        await Task.Delay(300);
        Assert.False(nextExit.IsCompleted);
        await agent.PostAsync($"containers/{id}/start");
        Assert.Contains("\"StatusCode\":4", await (await nextExit).Content.ReadAsStringAsync());
        Assert.False(removed.IsCompleted);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PostAsync($"containers/{id}/wait?condition=sometime")).StatusCode);

        Ok(agent, "create", "--name", "keep", "-l", "keep=yes", "opsbox:1", "true");
        Ok(agent, "create", "--name", "running", "opsbox:1", "sleep", "600");
        Ok(agent, "start", "running");
        var prune = await agent.PostAsync("containers/prune?filters=" + Uri.EscapeDataString("""{"label!":["keep"]}"""));
        using (var doc = JsonDocument.Parse(await prune.Content.ReadAsStringAsync()))
        {
            Assert.Equal([id], doc.RootElement.GetProperty("ContainersDeleted").EnumerateArray().Select(e => e.GetString()));
            Assert.True(doc.RootElement.GetProperty("SpaceReclaimed").GetInt64() >= 0);
        }
        Assert.Contains("\"StatusCode\":4", await (await removed).Content.ReadAsStringAsync());
        Assert.Equal(["running", "keep"], Lines(Ok(agent, "ps", "-a", "--format", "{{.Names}}")));
        Assert.Contains("Stop the container before attempting removal", Docker(agent, "rm", "running").Stderr);
        Ok(agent, "rm", "-f", "-v", "running");
        Assert.Equal(["keep"], Lines(Ok(agent, "ps", "-a", "--format", "{{.Names}}")));
    }

    [RequiresRootFact]
    public async Task CreateAppliesResourcesTmpfsAndRefusesInit()
    {
        using var agent = await AgentWithImageAsync();
        Ok(agent, "create", "--name", "limited", "--memory", "48m", "--cpu-shares", "512", "--pids-limit", "20", "--tmpfs", "/scratch:size=1m",
            "--read-only", "--workdir", "/scratch", "--user", "nobody", "-e", "GREETING=hi", "--stop-signal", "USR2", "opsbox:1",
            "sh", "-c", "echo $GREETING $(id -u) $(pwd); echo data > /scratch/f && cat /scratch/f; touch /tmp/x 2>&1 || echo ro; sleep 600");
        Ok(agent, "start", "limited");
        var id = Ok(agent, "inspect", "-f", "{{.Id}}", "limited").Trim();
        Assert.Equal("50331648", CgroupFile("memory", id, "memory.limit_in_bytes"));
        Assert.Equal("512", CgroupFile("cpu", id, "cpu.shares"));
        Assert.Equal("20", CgroupFile("pids", id, "pids.max"));
        await Task.Delay(500);
        var logs = Ok(agent, "logs", "limited");
        Assert.StartsWith("hi 65534 /scratch\ndata\n", logs);
        Assert.Contains("ro", logs);
        Assert.Contains("--init", Docker(agent, "create", "--init", "opsbox:1", "true").Stderr);
    }
}
