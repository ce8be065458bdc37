using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Cgroups;

public class CgroupV2ManagerTests
{
    private const long MiB = 1024 * 1024;

    private static (FakeV2Host Host, CgroupV2Manager Mgr) Created(Action<FakeV2Host>? configure = null)
    {
        var host = new FakeV2Host();
        configure?.Invoke(host);
        var mgr = host.Manager();
        mgr.Create();
        host.Fs.Writes.Clear();
        return (host, mgr);
    }

    [Fact]
    public void Create_EnablesControllersInEveryAncestorButNotTheLeaf()
    {
        var host = new FakeV2Host();
        host.Manager().Create();
        var root = FakeV2Host.Root;
        string[] wanted = ["+cpuset", "+cpu", "+io", "+memory", "+pids", "+hugetlb"];
        Assert.Equal(
            wanted.Select(v => ($"{root}/cgroup.subtree_control", v))
                .Concat(wanted.Select(v => ($"{root}/containerconsole/cgroup.subtree_control", v))),
            host.Fs.Writes);
        Assert.Equal([$"{root}/containerconsole", $"{root}/containerconsole/abc"], host.Fs.Created);
        // The leaf got the controller files because the parent delegated them before mkdir.
        Assert.True(host.Fs.FileExists($"{root}/containerconsole/abc/memory.max"));
        Assert.True(host.Fs.FileExists($"{root}/containerconsole/abc/cpu.max"));
        Assert.Equal("\n", host.Fs.Files[$"{root}/containerconsole/abc/cgroup.subtree_control"]);
    }

    [Fact]
    public void Create_SkipsControllersAlreadyEnabledOrUnavailable()
    {
        var host = new FakeV2Host(rootControllers: "cpu memory pids");
        host.Fs.Files[$"{FakeV2Host.Root}/cgroup.subtree_control"] = "memory\n";
        host.Manager().Create();
        Assert.Equal(
        [
            ($"{FakeV2Host.Root}/cgroup.subtree_control", "+cpu"),
            ($"{FakeV2Host.Root}/cgroup.subtree_control", "+pids"),
            ($"{FakeV2Host.Root}/containerconsole/cgroup.subtree_control", "+cpu"),
            ($"{FakeV2Host.Root}/containerconsole/cgroup.subtree_control", "+memory"),
            ($"{FakeV2Host.Root}/containerconsole/cgroup.subtree_control", "+pids"),
        ], host.Fs.Writes);
    }

    [Fact]
    public void Apply_FullResources_WritesExactFilesAndValuesInOrder()
    {
        var (host, mgr) = Created();
        var rules = new List<DeviceCgroupRule>
        {
            new() { Allow = false, Access = "rwm" },
            new() { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
        };
        mgr.Apply(new LinuxResources
        {
            Memory = new MemoryResources { Limit = 256 * MiB, Swap = 512 * MiB, Reservation = 128 * MiB, Swappiness = 10, DisableOOMKiller = true },
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0-1", Mems = "0" },
            Pids = new PidsResources { Limit = 100 },
            BlockIO = new BlockIoResources { Weight = 300 },
            Devices = rules,
            Unified = { ["memory.high"] = "300000000" },
        });
        var d = host.Dir();
        Assert.Equal(
        [
            ($"{d}/cpuset.cpus", "0-1"),
            ($"{d}/cpuset.mems", "0"),
            ($"{d}/memory.max", "268435456"),
            ($"{d}/memory.swap.max", "268435456"), // OCI swap is memory+swap: 512M - 256M
            ($"{d}/memory.low", "134217728"),
            ($"{d}/cpu.weight", "20"),
            ($"{d}/cpu.max", "50000 100000"),
            ($"{d}/pids.max", "100"),
            ($"{d}/io.bfq.weight", "300"),
        ], host.Fs.Writes.Where(w => !w.Path.EndsWith("memory.high")).ToList());
        Assert.Equal(($"{d}/memory.high", "300000000"), host.Fs.Writes[^1]); // unified overrides come last
        var (dir, program) = Assert.Single(host.Installed);
        Assert.Equal(d, dir);
        Assert.Equal(DeviceFilterProgram.Encode(DeviceFilterProgram.Generate(rules)), DeviceFilterProgram.Encode(program));
        Assert.Equal(2, mgr.Warnings.Count); // swappiness and disableOOMKiller have no v2 equivalent
    }

    [Theory]
    [InlineData(2UL, 1UL)]
    [InlineData(100UL, 4UL)]
    [InlineData(512UL, 20UL)]
    [InlineData(1024UL, 39UL)]
    [InlineData(4096UL, 157UL)]
    [InlineData(262144UL, 10000UL)]
    [InlineData(1UL, 1UL)]          // clamped up to 2
    [InlineData(1000000UL, 10000UL)] // clamped down to 262144
    public void SharesToWeight_MatchesRuncTable(ulong shares, ulong weight) =>
        Assert.Equal(weight, CgroupV2Manager.SharesToWeight(shares));

    [Theory]
    [InlineData(-1L, 100000UL, "max 100000")]
    [InlineData(20000L, null, "20000")]
    [InlineData(20000L, 50000UL, "20000 50000")]
    public void Apply_CpuMaxFormatting(long quota, ulong? period, string expected)
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Cpu = new CpuResources { Quota = quota, Period = period } });
        Assert.Equal([($"{host.Dir()}/cpu.max", expected)], host.Fs.Writes);
    }

    [Fact]
    public void Apply_PeriodAloneKeepsTheCurrentQuota()
    {
        var (host, mgr) = Created();
        host.Fs.Files[$"{host.Dir()}/cpu.max"] = "30000 100000\n";
        mgr.Apply(new LinuxResources { Cpu = new CpuResources { Period = 50000 } });
        Assert.Equal([($"{host.Dir()}/cpu.max", "30000 50000")], host.Fs.Writes);
    }

    [Theory]
    [InlineData(100L, -1L, "max")]
    [InlineData(100L, 100L, "0")]
    [InlineData(100L, 300L, "200")]
    public void Apply_SwapIsTotalMinusLimit(long limitMiB, long swapMiB, string expectedSwapMax)
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = limitMiB * MiB, Swap = swapMiB == -1 ? -1 : swapMiB * MiB } });
        var expected = expectedSwapMax == "max" ? "max" : (long.Parse(expectedSwapMax) * MiB).ToString();
        Assert.Equal(($"{host.Dir()}/memory.swap.max", expected), host.Fs.Writes[^1]);
    }

    [Fact]
    public void Apply_SwapAloneUsesTheCurrentLimitAndRejectsNonsense()
    {
        var (host, mgr) = Created();
        Assert.Throws<SpecValidationException>(() => mgr.Apply(new LinuxResources { Memory = new MemoryResources { Swap = 100 * MiB } }));
        Assert.Throws<SpecValidationException>(() => mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 200 * MiB, Swap = 100 * MiB } }));
        Assert.Empty(host.Fs.Writes);

        host.Fs.Files[$"{host.Dir()}/memory.max"] = (100 * MiB) + "\n";
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Swap = 150 * MiB } });
        Assert.Equal([($"{host.Dir()}/memory.swap.max", (50 * MiB).ToString())], host.Fs.Writes);
    }

    [Fact]
    public void Apply_IoWeightIsConvertedWithoutBfq()
    {
        var (host, mgr) = Created(h => h.HasBfq = false);
        mgr.Apply(new LinuxResources { BlockIO = new BlockIoResources { Weight = 500 }, Pids = new PidsResources { Limit = -1 } });
        Assert.Equal([($"{host.Dir()}/pids.max", "max"), ($"{host.Dir()}/io.weight", "default 4950")], host.Fs.Writes);
        Assert.Equal(1UL, CgroupV2Manager.BlkioWeightToIoWeight(10));
        Assert.Equal(10000UL, CgroupV2Manager.BlkioWeightToIoWeight(1000));
    }

    [Fact]
    public void Apply_UnifiedKeyMustBeAnExistingFileName()
    {
        var (host, mgr) = Created();
        Assert.Throws<SpecValidationException>(() => mgr.Apply(new LinuxResources { Unified = { ["../cgroup.procs"] = "1" } }));
        Assert.Throws<CgroupException>(() => mgr.Apply(new LinuxResources { Unified = { ["rdma.max"] = "x" } }));
        Assert.Empty(host.Fs.Writes);
    }

    [Fact]
    public void Freeze_WaitsForFrozenEventThenThaws()
    {
        var (host, mgr) = Created(h => h.FreezingReads = 3);
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());
        mgr.Freeze();
        Assert.Equal(0, host.FreezingReads); // it had to poll through the "frozen 0" reads
        Assert.Equal(CgroupFreezerState.Frozen, mgr.GetFreezerState());
        mgr.Thaw();
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());
        Assert.Equal([($"{host.Dir()}/cgroup.freeze", "1"), ($"{host.Dir()}/cgroup.freeze", "0")], host.Fs.Writes);
    }

    [Fact]
    public void FreezerState_FreezingWhileEventsSayNotFrozen()
    {
        var (host, mgr) = Created();
        host.Fs.Files[$"{host.Dir()}/cgroup.freeze"] = "1\n";
        host.Fs.Files[$"{host.Dir()}/cgroup.events"] = "populated 1\nfrozen 0\n";
        Assert.Equal(CgroupFreezerState.Freezing, mgr.GetFreezerState());
    }

    [Fact]
    public void Freeze_TimeoutRevertsTheRequest()
    {
        var (host, mgr) = Created(h =>
        {
            h.FreezingReads = int.MaxValue;
            h.Options = new CgroupOptions { FreezeTimeout = TimeSpan.FromMilliseconds(20), PollInterval = TimeSpan.FromMilliseconds(1) };
        });
        Assert.Throws<CgroupException>(mgr.Freeze);
        Assert.Equal(($"{host.Dir()}/cgroup.freeze", "0"), host.Fs.Writes[^1]);
    }

    [Fact]
    public void OomKillCount_ParsesMemoryEvents()
    {
        var (host, mgr) = Created();
        Assert.Equal($"{host.Dir()}/memory.events", mgr.OomCounterFile);
        host.Fs.Files[mgr.OomCounterFile!] = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n";
        Assert.Equal(2UL, mgr.GetOomKillCount());
        Assert.Equal($"{host.Dir()}/cgroup.procs", mgr.ProcsFiles["unified"]);
    }

    [Fact]
    public void KillAll_UsesCgroupKillForSigkill()
    {
        var (host, mgr) = Created();
        mgr.AddProcess(7);
        mgr.AddProcess(8);
        host.Fs.Writes.Clear();
        mgr.KillAll(9);
        Assert.Equal([($"{host.Dir()}/cgroup.kill", "1")], host.Fs.Writes);
        Assert.Empty(mgr.GetPids());
    }

    [Fact]
    public void KillAll_WithoutCgroupKillFreezesSignalsThaws()
    {
        var (host, mgr) = Created(h => h.HasCgroupKill = false);
        mgr.AddProcess(7);
        host.Fs.Writes.Clear();
        mgr.KillAll(9);
        Assert.Equal([(7, 9)], host.Signals);
        Assert.Equal(["1", "0"], host.Fs.Writes.Select(w => w.Value));
    }

    [Fact]
    public void Destroy_RemovesNestedCgroupsFirstAndKeepsTheParent()
    {
        var (host, mgr) = Created();
        mgr.AddProcess(7);
        host.Fs.AddFile($"{host.Dir()}/sub/cgroup.procs", "");
        host.Fs.BusyRemovals[host.Dir()] = 1;
        mgr.Destroy();
        Assert.Equal([$"{host.Dir()}/sub", host.Dir()], host.Fs.Removed);
        Assert.Contains($"{FakeV2Host.Root}/containerconsole", host.Fs.Dirs);
    }

    [Fact]
    public void GetStats_ReadsV2Files()
    {
        var (host, mgr) = Created();
        var f = host.Fs.Files;
        var d = host.Dir();
        f[$"{d}/memory.current"] = "1000\n";
        f[$"{d}/memory.max"] = "4096\n";
        f[$"{d}/memory.peak"] = "2000\n";
        f[$"{d}/memory.stat"] = "anon 10\nfile 300\n";
        f[$"{d}/cpu.stat"] = "usage_usec 9\nuser_usec 6\nsystem_usec 3\nnr_periods 10\nnr_throttled 4\nthrottled_usec 5\n";
        f[$"{d}/pids.current"] = "3\n";
        f[$"{d}/pids.max"] = "64\n";
        f[$"{d}/io.stat"] = "8:0 rbytes=100 wbytes=50 rios=1 wios=1 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n";
        var s = mgr.GetStats();
        Assert.Equal((1000UL, (ulong?)4096UL, 2000UL, 300UL), (s.MemoryUsage, s.MemoryLimit, s.MemoryMaxUsage, s.MemoryCache));
        Assert.Equal((9000UL, 6000UL, 3000UL), (s.CpuUsageTotalNs, s.CpuUsageUserNs, s.CpuUsageSystemNs));
        Assert.Equal((10UL, 4UL, 5000UL), (s.CpuPeriods, s.CpuThrottledPeriods, s.CpuThrottledTimeNs));
        Assert.Equal((3UL, (ulong?)64), (s.PidsCurrent, s.PidsLimit));
        Assert.Equal((101UL, 52UL), (s.IoReadBytes, s.IoWriteBytes));
    }
}
