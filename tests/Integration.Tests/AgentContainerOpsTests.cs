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
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string CgroupFile(string controller, string id, string file) =>
        File.ReadAllText($"/sys/fs/cgroup/{controller}/containerconsole/{id}/{file}").Trim();

    [RequiresRootFact]
    public async Task PsFiltersFormatsAndRenameLookAsAgainstDockerd()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("opsbox:1");
        agent.DockerOk("create", "--name", "web", "-l", "app=web", "opsbox:1", "sleep", "600");
        agent.DockerOk("start", "web");
        agent.DockerOk("create", "--name", "failed", "opsbox:1", "sh", "-c", "exit 3");
        agent.DockerOk("start", "failed");
        Assert.Equal("3", agent.DockerOk("wait", "failed").Trim());
        agent.DockerOk("create", "--name", "fresh", "opsbox:1", "true");

        Assert.Matches(new Regex(@"^web Up (Less than a second|\d+ seconds?)\n$"), agent.DockerOk("ps", "--format", "{{.Names}} {{.Status}}"));
        var all = Lines(agent.DockerOk("ps", "-a", "--format", "{{.Names}} {{.Status}}"));
        Assert.Equal(["fresh Created", "failed", "web"], all.Select(l => l.StartsWith("failed Exited (3) ", StringComparison.Ordinal) ? "failed" : l.Split(' ')[0] == "web" ? "web" : l));
        Assert.All(Lines(agent.DockerOk("ps", "-a", "-q")), l => Assert.Matches("^[0-9a-f]{12}$", l));
        Assert.Equal(3, Lines(agent.DockerOk("ps", "-aq")).Length);
        Assert.Equal(["web"], Lines(agent.DockerOk("ps", "-a", "-f", "name=we", "--format", "{{.Names}}")));
        Assert.Equal(["web"], Lines(agent.DockerOk("ps", "-a", "-f", "label=app=web", "--format", "{{.Names}}")));
        Assert.Equal(["failed"], Lines(agent.DockerOk("ps", "-f", "status=exited", "--format", "{{.Names}}")));
        Assert.Equal(["failed"], Lines(agent.DockerOk("ps", "-a", "-f", "exited=3", "--format", "{{.Names}}")));
        Assert.Equal(["fresh", "failed", "web"], Lines(agent.DockerOk("ps", "-a", "-f", "ancestor=opsbox:1", "--format", "{{.Names}}")));
        Assert.Equal(["fresh"], Lines(agent.DockerOk("ps", "-n", "1", "--format", "{{.Names}}")));
        Assert.Equal(["failed", "web"], Lines(agent.DockerOk("ps", "-a", "-f", "before=fresh", "--format", "{{.Names}}")));
        Assert.Equal("\"sh -c 'exit 3'\"", agent.DockerOk("ps", "-a", "-f", "name=failed", "--format", "{{.Command}}").Trim());
        Assert.Equal("opsbox:1", agent.DockerOk("ps", "--format", "{{.Image}}").Trim());

        agent.DockerOk("rename", "fresh", "renamed.v2");
        Assert.Equal(["renamed.v2"], Lines(agent.DockerOk("ps", "-a", "-f", "status=created", "--format", "{{.Names}}")));
        Assert.Contains("is already in use", agent.Docker("rename", "renamed.v2", "web").Stderr);
        Assert.Contains("Invalid container name", agent.Docker("rename", "renamed.v2", "_bad").Stderr);
        Assert.Contains("No such container: nope", agent.Docker("rename", "nope", "x").Stderr);
        Assert.Contains("Invalid container name", agent.Docker("create", "--name", "a/b", "opsbox:1", "true").Stderr);
        var shortId = agent.DockerOk("ps", "-q", "-f", "name=web").Trim();
        Assert.Equal("/web", agent.DockerOk("inspect", "-f", "{{.Name}}", shortId[..5]).Trim());
    }

    [RequiresRootFact]
    public async Task TopStatsUpdateKillAndRestartActOnTheRealContainer()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("opsbox:1");
        agent.DockerOk("create", "--name", "svc", "opsbox:1", "sh", "-c", "trap 'echo got usr1' USR1; while true; do sleep 0.1; done");
        agent.DockerOk("start", "svc");
        var id = agent.DockerOk("inspect", "-f", "{{.Id}}", "svc").Trim();

        var top = Lines(agent.DockerOk("top", "svc"));
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], top[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(top.Skip(1), l => l.Contains("sh -c trap", StringComparison.Ordinal));
        Assert.DoesNotContain(top.Skip(1), l => l.Contains("ccagent", StringComparison.Ordinal));

        agent.DockerOk("update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5", "--pids-limit", "50", "svc");
        Assert.Equal("67108864", CgroupFile("memory", id, "memory.limit_in_bytes"));
        Assert.Equal("50000", CgroupFile("cpu", id, "cpu.cfs_quota_us"));
        Assert.Equal("50", CgroupFile("pids", id, "pids.max"));
        Assert.Equal("67108864 134217728 500000000 50", agent.DockerOk("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}", "svc").Trim());

        var stats = agent.DockerOk("stats", "--no-stream", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}", "svc").Trim().Split('|');
        Assert.Equal("svc", stats[0]);
        Assert.Matches(@"^\d+\.\d\d%$", stats[1]);
        Assert.Matches(@"^[\d.]+[KM]iB / 64MiB$", stats[2]);
        Assert.True(int.Parse(stats[3]) >= 1, string.Join('|', stats));

        agent.DockerOk("kill", "-s", "USR1", "svc");
        await Task.Delay(400); // a second USR1 while the first is pending would merge with it
        agent.DockerOk("kill", "-s", "SIGUSR1", "svc");
        await Task.Delay(400);
        Assert.Equal(2, Regex.Count(agent.DockerOk("logs", "svc"), "got usr1"));
        Assert.Contains("invalid signal", agent.Docker("kill", "-s", "NOPE", "svc").Stderr);

        var started = agent.DockerOk("inspect", "-f", "{{.State.StartedAt}}", "svc").Trim();
        agent.DockerOk("restart", "-t", "1", "svc");
        Assert.Equal("running", agent.DockerOk("inspect", "-f", "{{.State.Status}}", "svc").Trim());
        Assert.NotEqual(started, agent.DockerOk("inspect", "-f", "{{.State.StartedAt}}", "svc").Trim());
        Assert.Equal("67108864", CgroupFile("memory", id, "memory.limit_in_bytes")); // the update survives a restart

        agent.DockerOk("kill", "svc");
        Assert.Equal("137", agent.DockerOk("wait", "svc").Trim());
        Assert.Contains("is not running", agent.Docker("kill", "svc").Stderr);
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
        using var agent = await AgentProcess.WithBusyboxImageAsync("opsbox:1");
        agent.DockerOk("create", "--name", "live", "opsbox:1", "sleep", "600");
        agent.DockerOk("start", "live");
        agent.DockerOk("create", "--name", "stopped", "opsbox:1", "true");
        Assert.True(File.Exists("/etc/os-release")); // a host file the containers do not have (they get /etc/hostname now)
        var work = Directory.CreateTempSubdirectory("cc-cp-").FullName;
        var marker = "cc-cp-marker-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            File.WriteAllText(Path.Combine(work, "in.txt"), "from the host\n");
            File.WriteAllText(Path.Combine(work, marker), "must stay in the container\n");
            var links = Tar(Link("esc", "../../../../../../../.."), Link("root", "/"));
            foreach (var c in new[] { "live", "stopped" })
            {
                agent.DockerOk("cp", Path.Combine(work, "in.txt"), $"{c}:/tmp/copied.txt");
                agent.DockerOk("cp", $"{c}:/tmp/copied.txt", Path.Combine(work, $"{c}-out.txt"));
                Assert.Equal("from the host\n", File.ReadAllText(Path.Combine(work, $"{c}-out.txt")));
                agent.DockerOk("cp", $"{c}:/etc", Path.Combine(work, $"{c}-etc"));
                Assert.StartsWith("root:x:0:0", File.ReadAllText(Path.Combine(work, $"{c}-etc", "passwd")));

                var put = await agent.Http.PutAsync($"containers/{c}/archive?path=/tmp", new ByteArrayContent(links));
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                // Reading through the links: the container's own files, never the host's.
                foreach (var via in new[] { "esc", "root" })
                {
                    Assert.Contains("Could not find the file", agent.Docker("cp", $"{c}:/tmp/{via}/etc/os-release", Path.Combine(work, "leak")).Stderr);
                    Assert.False(File.Exists(Path.Combine(work, "leak")));
                    agent.DockerOk("cp", $"{c}:/tmp/{via}/etc/passwd", Path.Combine(work, $"{c}-{via}-passwd"));
                    Assert.Equal("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", File.ReadAllText(Path.Combine(work, $"{c}-{via}-passwd")));
                }
                // Writing through them: lands at the container's root.
                agent.DockerOk("cp", Path.Combine(work, marker), $"{c}:/tmp/esc/");
                agent.DockerOk("cp", Path.Combine(work, marker), $"{c}:/tmp/root/tmp/");
                Assert.False(File.Exists("/" + marker), "docker cp wrote to the host's root");
                Assert.False(File.Exists("/tmp/" + marker), "docker cp wrote to the host's /tmp");
                agent.DockerOk("cp", $"{c}:/{marker}", Path.Combine(work, $"{c}-marker"));
                agent.DockerOk("cp", $"{c}:/tmp/{marker}", Path.Combine(work, $"{c}-tmp-marker"));

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
                    Assert.Contains("Could not find the file", agent.Docker("cp", $"{c}:/root/ok-{c}", Path.Combine(work, "nothing")).Stderr);
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
        using var agent = await AgentProcess.WithBusyboxImageAsync("opsbox:1");
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

        agent.DockerOk("create", "--name", "keep", "-l", "keep=yes", "opsbox:1", "true");
        agent.DockerOk("create", "--name", "running", "opsbox:1", "sleep", "600");
        agent.DockerOk("start", "running");
        var prune = await agent.PostAsync("containers/prune?filters=" + Uri.EscapeDataString("""{"label!":["keep"]}"""));
        using (var doc = JsonDocument.Parse(await prune.Content.ReadAsStringAsync()))
        {
            Assert.Equal([id], doc.RootElement.GetProperty("ContainersDeleted").EnumerateArray().Select(e => e.GetString()));
            Assert.True(doc.RootElement.GetProperty("SpaceReclaimed").GetInt64() >= 0);
        }
        Assert.Contains("\"StatusCode\":4", await (await removed).Content.ReadAsStringAsync());
        Assert.Equal(["running", "keep"], Lines(agent.DockerOk("ps", "-a", "--format", "{{.Names}}")));
        Assert.Contains("Stop the container before attempting removal", agent.Docker("rm", "running").Stderr);
        agent.DockerOk("rm", "-f", "-v", "running");
        Assert.Equal(["keep"], Lines(agent.DockerOk("ps", "-a", "--format", "{{.Names}}")));
    }

    [RequiresRootFact]
    public async Task CreateAppliesResourcesAndTmpfsAndInitNeedsABinary()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("opsbox:1", "--init-path", "/nonexistent/docker-init");
        agent.DockerOk("create", "--name", "limited", "--memory", "48m", "--cpu-shares", "512", "--pids-limit", "20", "--tmpfs", "/scratch:size=1m",
            "--read-only", "--workdir", "/scratch", "--user", "nobody", "-e", "GREETING=hi", "--stop-signal", "USR2", "opsbox:1",
            "sh", "-c", "echo $GREETING $(id -u) $(pwd); echo data > /scratch/f && cat /scratch/f; touch /tmp/x 2>&1 || echo ro; sleep 600");
        agent.DockerOk("start", "limited");
        var id = agent.DockerOk("inspect", "-f", "{{.Id}}", "limited").Trim();
        Assert.Equal("50331648", CgroupFile("memory", id, "memory.limit_in_bytes"));
        Assert.Equal("512", CgroupFile("cpu", id, "cpu.shares"));
        Assert.Equal("20", CgroupFile("pids", id, "pids.max"));
        await Task.Delay(500);
        var logs = agent.DockerOk("logs", "limited");
        Assert.StartsWith("hi 65534 /scratch\ndata\n", logs);
        Assert.Contains("ro", logs);
        Assert.Contains("--init: no init binary on this host", agent.Docker("run", "--rm", "--init", "opsbox:1", "true").Stderr);
    }
}
