using System.Text.Json.Nodes;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Integration.Tests;

/// <summary>The pure parts of the agent's container operations: list filters, stats, ps parsing, cp paths, update rules.</summary>
public sealed class AgentContainerOpsUnitTests
{
    private static ContainerModel Model(string name, string status, DateTime created, int exit = 0, Dictionary<string, string>? labels = null, string image = "box:1", char imageId = 'a') => new()
    {
        Id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))),
        Name = name,
        Created = created,
        ImageId = "sha256:" + new string(imageId, 64),
        Config = new ContainerConfig { Image = image, Labels = labels },
        State = new ContainerRunState { Status = status, ExitCode = exit },
    };

    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly ContainerModel[] Sample =
    [
        Model("newest", "created", T0.AddMinutes(3)),
        Model("failed", "exited", T0.AddMinutes(2), exit: 3),
        Model("web", "running", T0.AddMinutes(1), labels: new() { ["app"] = "web" }, image: "other:2", imageId: 'b'),
        Model("paused1", "paused", T0),
    ];

    private static List<string> Names(string? filters, bool all = false, int limit = 0) =>
        new ContainerListFilter(DockerFilters.Parse(filters, ContainerListFilter.Known), all, limit,
                n => Sample.First(c => c.Name == n), r => r == "box:1" ? "sha256:" + new string('a', 64) : null)
            .Apply(Sample).Select(c => c.Name).ToList();

    [Fact]
    public void ListShowsRunningAndPausedUnlessAllOrAStatusFilterOrALimit()
    {
        Assert.Equal(["web", "paused1"], Names(null));
        Assert.Equal(["newest", "failed", "web", "paused1"], Names(null, all: true));
        Assert.Equal(["failed"], Names("""{"status":["exited"]}"""));
        Assert.Equal(["newest", "failed"], Names(null, limit: 2));
        Assert.Throws<EngineException>(() => Names("""{"status":["sleeping"]}"""));
    }

    [Fact]
    public void ListFiltersByNameLabelIdExitedAncestorBeforeAndSince()
    {
        Assert.Equal(["web"], Names("""{"name":["^/we"]}""", all: true));
        Assert.Equal(["web"], Names("""{"label":["app=web"]}""", all: true));
        Assert.Equal(["newest", "failed", "paused1"], Names("""{"label!":["app"]}""", all: true));
        Assert.Equal(["failed"], Names("""{"exited":["3"]}""", all: true));
        Assert.Empty(Names("""{"exited":["0"]}""", all: true));
        Assert.Equal(["failed"], Names($$"""{"id":["{{Sample[1].Id[..6]}}"]}""", all: true));
        Assert.Equal(["newest", "failed", "paused1"], Names("""{"ancestor":["box:1"]}""", all: true));
        Assert.Equal(["web"], Names("""{"ancestor":["other:2"]}""", all: true));
        Assert.Equal(["web", "paused1"], Names("""{"before":["failed"]}""", all: true));
        Assert.Equal(["newest"], Names("""{"since":["failed"]}""", all: true));
        Assert.Throws<EngineException>(() => Names("""{"color":["red"]}"""));
    }

    [Fact]
    public void StatusAndCommandReadAsDockerPrintsThem()
    {
        Assert.Equal("Less than a second", DockerViews.Human(TimeSpan.FromMilliseconds(400)));
        Assert.Equal("1 second", DockerViews.Human(TimeSpan.FromSeconds(1)));
        Assert.Equal("3 seconds", DockerViews.Human(TimeSpan.FromSeconds(3.9)));
        Assert.Equal("About a minute", DockerViews.Human(TimeSpan.FromSeconds(100)));
        Assert.Equal("About an hour", DockerViews.Human(TimeSpan.FromMinutes(75)));
        Assert.Equal("3 days", DockerViews.Human(TimeSpan.FromDays(3)));
        Assert.Equal("3 weeks", DockerViews.Human(TimeSpan.FromDays(22)));
        var now = T0.AddHours(1);
        Assert.Equal("Up 5 seconds (Paused)", DockerViews.StatusText(new ContainerRunState { Status = "paused", StartedAt = now.AddSeconds(-5) }, now));
        Assert.Equal("Exited (3) 2 minutes ago", DockerViews.StatusText(new ContainerRunState { Status = "exited", ExitCode = 3, FinishedAt = now.AddMinutes(-2) }, now));
        Assert.Equal("sh -c 'echo hi; exit 3'", DockerViews.CommandText(["sh", "-c", "echo hi; exit 3"]));
    }

    [Fact]
    public void TopKeepsTheContainersPidsAndTheCommandWithItsSpaces()
    {
        const string ps = """
            UID          PID    PPID  C STIME TTY          TIME CMD
            root           1       0  0 07:00 ?        00:00:01 /sbin/init splash
            root        4242    4240  0 07:01 ?        00:00:00 sleep 600
            nobody      4250    4242  1 07:01 pts/0    00:00:00 sh -c while true; do :; done
            """;
        var table = ContainerTop.Parse(ps, new HashSet<int> { 4242, 4250 });
        Assert.Equal(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], table.Titles);
        Assert.Equal(2, table.Processes.Count);
        Assert.Equal(["root", "4242", "4240", "0", "07:01", "?", "00:00:00", "sleep 600"], table.Processes[0]);
        Assert.Equal("sh -c while true; do :; done", table.Processes[1][7]);
        Assert.Throws<EngineException>(() => ContainerTop.Parse("USER COMMAND\nroot init\n", new HashSet<int> { 1 }));
    }

    [Fact]
    public void StatsComeFromTheCgroupFilesInDockersShape()
    {
        var root = Directory.CreateTempSubdirectory("cc-fake-cgroup-").FullName;
        try
        {
            var mounts = new Dictionary<string, string>();
            void Files(string subsystem, params (string Name, string Content)[] files)
            {
                var dir = Path.Combine(root, subsystem, "containerconsole", "c1");
                Directory.CreateDirectory(dir);
                mounts[subsystem] = Path.Combine(root, subsystem);
                foreach (var (name, content) in files)
                    File.WriteAllText(Path.Combine(dir, name), content);
            }
            Files("memory", ("memory.usage_in_bytes", "10485760\n"), ("memory.max_usage_in_bytes", "20971520\n"), ("memory.limit_in_bytes", "67108864\n"),
                ("memory.stat", "cache 4096\ntotal_cache 8192\ntotal_inactive_file 2097152\n"));
            Files("cpuacct", ("cpuacct.usage", "3000000000\n"), ("cpuacct.usage_percpu", "1000000000 2000000000 \n"),
                ("cpuacct.usage_user", "2500000000\n"), ("cpuacct.usage_sys", "500000000\n"));
            Files("cpu", ("cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 12345\n"));
            Files("pids", ("pids.current", "3\n"), ("pids.max", "max\n"));
            var cgroup = new CgroupV1Manager("/containerconsole/c1", mounts);
            var model = Model("web", "running", T0);
            var (system, cpus) = ContainerStats.ParseProcStat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nintr 1\n");
            Assert.Equal((10_000_000_000UL, 2), (system, cpus));
            var now = new StatsSample(T0.AddSeconds(1), cgroup.GetStats(), system, cpus);
            var before = now with { Read = T0, Cgroup = new CgroupStats { CpuUsageTotalNs = 2_000_000_000 }, SystemCpuNs = system - 4_000_000_000 };

            var doc = ContainerStats.ToDocker(model, now, before, machineMemory: 8UL << 30);
            Assert.Equal(3_000_000_000UL, (ulong)doc["cpu_stats"]!["cpu_usage"]!["total_usage"]!);
            Assert.Equal([1_000_000_000UL, 2_000_000_000UL], doc["cpu_stats"]!["cpu_usage"]!["percpu_usage"]!.AsArray().Select(v => (ulong)v!));
            Assert.Equal(500_000_000UL, (ulong)doc["cpu_stats"]!["cpu_usage"]!["usage_in_kernelmode"]!);
            Assert.Equal(2, (int)doc["cpu_stats"]!["online_cpus"]!);
            Assert.Equal(2UL, (ulong)doc["cpu_stats"]!["throttling_data"]!["throttled_periods"]!);
            Assert.Equal(2_000_000_000UL, (ulong)doc["precpu_stats"]!["cpu_usage"]!["total_usage"]!);
            Assert.Equal(10485760UL, (ulong)doc["memory_stats"]!["usage"]!);
            Assert.Equal(67108864UL, (ulong)doc["memory_stats"]!["limit"]!);
            Assert.Equal(2097152UL, (ulong)doc["memory_stats"]!["stats"]!["total_inactive_file"]!);
            Assert.Equal(3UL, (ulong)doc["pids_stats"]!["current"]!);
            Assert.Null(doc["pids_stats"]!["limit"]);
            Assert.Equal("/web", (string)doc["name"]!);
            // What docker stats shows: 1 s of CPU over 4 s of both CPUs' time = 50 %.
            Assert.Equal(50.0, ContainerStats.CpuPercent(before, now), 3);

            File.WriteAllText(Path.Combine(root, "memory/containerconsole/c1/memory.limit_in_bytes"), "9223372036854771712\n");
            var unlimited = ContainerStats.ToDocker(model, now with { Cgroup = cgroup.GetStats() }, null, machineMemory: 8UL << 30);
            Assert.Equal(8UL << 30, (ulong)unlimited["memory_stats"]!["limit"]!); // no limit: the machine's memory, as dockerd
            Assert.Equal("0001-01-01T00:00:00Z", (string)unlimited["preread"]!);
            Assert.IsType<JsonObject>(ContainerStats.ToDocker(model, null, null, 1)["memory_stats"]);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void CpPathsSplitAndModesAsDockerDoes()
    {
        Assert.Equal(("/etc/", "passwd"), ContainerArchive.Split("etc/passwd"));
        Assert.Equal(("/etc/", ""), ContainerArchive.Split("/etc/"));
        Assert.Equal(("/etc/.", ""), ContainerArchive.Split("/etc/."));
        Assert.Equal("passwd", ContainerArchive.RebaseName("/etc/passwd"));
        Assert.Equal("etc", ContainerArchive.RebaseName("/etc/"));
        Assert.Equal(".", ContainerArchive.RebaseName("/etc/."));
        Assert.Equal(0x800001EDu, ContainerArchive.GoFileMode(0x41ED)); // drwxr-xr-x → ModeDir|0755
        Assert.Equal(0x080001FFu, ContainerArchive.GoFileMode(0xA1FF)); // symlink
        Assert.Equal(0x008001EDu, ContainerArchive.GoFileMode(0x89ED)); // -rwsr-xr-x → ModeSetuid|0755
    }

    [Fact]
    public void PathsResolveInsideTheRootWhateverTheSymlinksSay()
    {
        var root = Directory.CreateTempSubdirectory("cc-rootdir-").FullName;
        var outside = root + "-outside";
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            File.WriteAllText(Path.Combine(root, "etc/passwd"), "inside\n");
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Combine(outside, "secret"), "host\n");
            File.CreateSymbolicLink(Path.Combine(root, "up"), "../../../../../..");
            File.CreateSymbolicLink(Path.Combine(root, "abs"), "/");
            File.CreateSymbolicLink(Path.Combine(root, "sibling"), "../" + Path.GetFileName(outside));
            using var dir = RootDir.Open(root);
            using (var f = dir.Resolve("/up/etc/passwd", RootDir.O_RDONLY))
                Assert.Equal("inside\n", new StreamReader(new FileStream(f, FileAccess.Read)).ReadToEnd());
            using (var f = dir.Resolve("/abs/abs/../etc/passwd", RootDir.O_RDONLY))
                Assert.Equal("inside\n", new StreamReader(new FileStream(f, FileAccess.Read)).ReadToEnd());
            var e = Assert.Throws<ContainerConsole.Runtime.Interop.SyscallException>(() => dir.Resolve("/sibling/secret", RootDir.O_RDONLY));
            Assert.Equal(RootDir.ENOENT, e.Errno);
            Assert.Equal("/", ContainerArchive.ResolveLexically(dir, "/up"));
            Assert.Equal("/etc", ContainerArchive.ResolveLexically(dir, "/abs/etc"));
            var stat = ContainerArchive.StatPath(dir, "/abs", "c1");
            Assert.Equal(("abs", "/"), (stat.Name, stat.LinkTarget));
            Assert.Equal(404, Assert.Throws<EngineException>(() => ContainerArchive.StatPath(dir, "/sibling/secret", "c1")).Status);
        }
        finally
        {
            Directory.Delete(root, true);
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public void UpdateMergesLikeDockerAndRefusesWhatDockerRefuses()
    {
        var hc = new HostConfig { Memory = 32 << 20 };
        var r = ContainerUpdate.Merge(hc, new UpdateRequest { Memory = 48 << 20, NanoCpus = 500_000_000, PidsLimit = 50, RestartPolicy = new RestartPolicy { Name = "always" } });
        Assert.Equal(48L << 20, r.Memory!.Limit);
        Assert.Null(r.Memory.Swap);
        Assert.Equal((50_000L, 100_000UL), (r.Cpu!.Quota!.Value, r.Cpu.Period!.Value));
        Assert.Equal(50, r.Pids!.Limit);
        Assert.Equal((48L << 20, 64L << 20, 500_000_000L, 50L, "always"), (hc.Memory, hc.MemorySwap, hc.NanoCpus, hc.PidsLimit!.Value, hc.RestartPolicy!.Name));
        // Above the memory+swap limit already in force (twice the old memory) without raising it.
        Assert.Contains("memoryswap", Assert.Throws<EngineException>(() => ContainerUpdate.Merge(new HostConfig { Memory = 32 << 20 }, new UpdateRequest { Memory = 128 << 20 })).Message);
        Assert.Throws<EngineException>(() => ContainerUpdate.Merge(new HostConfig(), new UpdateRequest { NanoCpus = 1, CpuQuota = 50_000 }));
        Assert.Throws<EngineException>(() => ContainerUpdate.Merge(new HostConfig(), new UpdateRequest { Memory = 1 << 20 }));
        Assert.Throws<EngineException>(() => ContainerUpdate.Merge(new HostConfig(), new UpdateRequest { BlkioWeight = 5 }));
        var unlimited = ContainerUpdate.Merge(new HostConfig(), new UpdateRequest { PidsLimit = 0 });
        Assert.Equal(-1, unlimited.Pids!.Limit);
        Assert.True(ContainerUpdate.IsEmpty(ContainerUpdate.Merge(new HostConfig(), new UpdateRequest())));
    }
}
