using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Cgroups;

public class CgroupV1ManagerTests
{
    private const long MiB = 1024 * 1024;

    private static (FakeV1Host Host, CgroupV1Manager Mgr) Created(Action<FakeV1Host>? configure = null)
    {
        var host = new FakeV1Host();
        configure?.Invoke(host);
        var mgr = host.Manager();
        mgr.Create();
        host.Fs.Writes.Clear();
        return (host, mgr);
    }

    [Fact]
    public void Create_MakesEveryLevelInEveryHierarchy()
    {
        var host = new FakeV1Host();
        host.Manager().Create();
        foreach (var mount in host.Mounts.Values)
        {
            Assert.Contains($"{mount}/containerconsole", host.Fs.Dirs);
            Assert.Contains($"{mount}/containerconsole/abc", host.Fs.Dirs);
        }
        Assert.Equal(host.Mounts.Count * 2, host.Fs.Created.Count);
    }

    [Fact]
    public void Create_CopiesCpusetDownEveryLevel()
    {
        var host = new FakeV1Host();
        var mgr = host.Manager();
        mgr.Create();
        var cs = host.Mounts["cpuset"];
        Assert.Equal(
        [
            ($"{cs}/containerconsole/cpuset.cpus", "0-3"),
            ($"{cs}/containerconsole/cpuset.mems", "0"),
            ($"{cs}/containerconsole/abc/cpuset.cpus", "0-3"),
            ($"{cs}/containerconsole/abc/cpuset.mems", "0"),
        ], host.Fs.Writes);

        // Without the copy the fake (like the kernel) refuses tasks with ENOSPC.
        mgr.AddProcess(4242);
        foreach (var file in mgr.ProcsFiles.Values)
            Assert.Equal("4242\n", host.Fs.Files[file]);
    }

    [Fact]
    public void Create_RepairsAnExistingEmptyCpusetParentButKeepsSetValues()
    {
        var host = new FakeV1Host();
        var cs = host.Mounts["cpuset"];
        host.Fs.AddFile($"{cs}/containerconsole/cpuset.cpus", "\n");
        host.Fs.AddFile($"{cs}/containerconsole/cpuset.mems", "0\n");
        host.Manager().Create();
        Assert.Equal("0-3", host.Fs.Files[$"{cs}/containerconsole/cpuset.cpus"]);
        Assert.DoesNotContain(host.Fs.Writes, w => w.Path == $"{cs}/containerconsole/cpuset.mems");
    }

    [Fact]
    public void AddProcess_FailsLikeTheKernelWhenCpusetIsEmpty()
    {
        var host = new FakeV1Host();
        host.Fs.AddDir(host.Dir("cpuset"));
        host.Fs.Files[host.Dir("cpuset") + "/cpuset.cpus"] = "";
        host.Fs.Files[host.Dir("cpuset") + "/cpuset.mems"] = "";
        host.Fs.Files[host.Dir("cpuset") + "/cgroup.procs"] = "";
        var e = Assert.Throws<CgroupException>(() => host.Fs.WriteFile(host.Dir("cpuset") + "/cgroup.procs", "1"));
        Assert.Equal(FakeCgroupFs.ENOSPC, e.Errno);
    }

    [Fact]
    public void Apply_FullResources_WritesExactFilesAndValuesInOrder()
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources
        {
            Memory = new MemoryResources { Limit = 256 * MiB, Swap = 512 * MiB, Reservation = 128 * MiB, Swappiness = 10, DisableOOMKiller = true },
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0-1", Mems = "0" },
            Pids = new PidsResources { Limit = 100 },
            BlockIO = new BlockIoResources { Weight = 300 },
            Devices =
            [
                new DeviceCgroupRule { Allow = false, Access = "rwm" },
                new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                new DeviceCgroupRule { Allow = true, Type = "c", Access = "m" },
                new DeviceCgroupRule { Allow = true, Type = "b", Major = 8, Access = "r" },
            ],
        });
        string D(string s) => host.Dir(s);
        Assert.Equal(
        [
            ($"{D("cpuset")}/cpuset.cpus", "0-1"),
            ($"{D("cpuset")}/cpuset.mems", "0"),
            // Fresh cgroup: limit is unlimited, so the limit goes first, then memsw.
            ($"{D("memory")}/memory.limit_in_bytes", "268435456"),
            ($"{D("memory")}/memory.memsw.limit_in_bytes", "536870912"),
            ($"{D("memory")}/memory.soft_limit_in_bytes", "134217728"),
            ($"{D("memory")}/memory.swappiness", "10"),
            ($"{D("memory")}/memory.oom_control", "1"),
            ($"{D("cpu")}/cpu.shares", "512"),
            ($"{D("cpu")}/cpu.cfs_period_us", "100000"),
            ($"{D("cpu")}/cpu.cfs_quota_us", "50000"),
            ($"{D("pids")}/pids.max", "100"),
            ($"{D("blkio")}/blkio.bfq.weight", "300"),
            ($"{D("devices")}/devices.deny", "a"),
            ($"{D("devices")}/devices.deny", "a *:* rwm"),
            ($"{D("devices")}/devices.allow", "c 1:3 rwm"),
            ($"{D("devices")}/devices.allow", "c *:* m"),
            ($"{D("devices")}/devices.allow", "b 8:* r"),
        ], host.Fs.Writes);
        Assert.Empty(mgr.Warnings);
    }

    [Fact]
    public void Apply_RaisingMemoryWritesMemswFirst()
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 100 * MiB, Swap = 200 * MiB } });
        host.Fs.Writes.Clear();

        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 300 * MiB, Swap = 600 * MiB } });

        var mem = host.Dir("memory");
        Assert.Equal(
        [
            ($"{mem}/memory.memsw.limit_in_bytes", "629145600"),
            ($"{mem}/memory.limit_in_bytes", "314572800"),
        ], host.Fs.Writes);
    }

    [Fact]
    public void Apply_LoweringMemoryWritesLimitFirst()
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 300 * MiB, Swap = 600 * MiB } });
        host.Fs.Writes.Clear();

        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 50 * MiB, Swap = 100 * MiB } });

        var mem = host.Dir("memory");
        Assert.Equal(
        [
            ($"{mem}/memory.limit_in_bytes", "52428800"),
            ($"{mem}/memory.memsw.limit_in_bytes", "104857600"),
        ], host.Fs.Writes);
    }

    [Fact]
    public void FakeEnforcesMemswAtLeastLimit_SoTheOrderingTestsMeanSomething()
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 100 * MiB, Swap = 200 * MiB } });
        var mem = host.Dir("memory");
        Assert.Throws<CgroupException>(() => host.Fs.WriteFile($"{mem}/memory.limit_in_bytes", (300 * MiB).ToString()));
        Assert.Throws<CgroupException>(() => host.Fs.WriteFile($"{mem}/memory.memsw.limit_in_bytes", (50 * MiB).ToString()));
    }

    [Fact]
    public void Apply_UnlimitedMemoryWithoutSwapLiftsMemswToo()
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 100 * MiB, Swap = 200 * MiB } });
        host.Fs.Writes.Clear();

        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = -1 } });

        var mem = host.Dir("memory");
        Assert.Equal([($"{mem}/memory.memsw.limit_in_bytes", "-1"), ($"{mem}/memory.limit_in_bytes", "-1")], host.Fs.Writes);
    }

    [Fact]
    public void Apply_SwapWithoutSwapAccountingIsAWarning()
    {
        var (host, mgr) = Created(h => h.HasMemsw = false);
        mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 100 * MiB, Swap = 200 * MiB } });
        Assert.Equal([($"{host.Dir("memory")}/memory.limit_in_bytes", "104857600")], host.Fs.Writes);
        Assert.Contains(mgr.Warnings, w => w.Contains("memsw"));
    }

    [Fact]
    public void Apply_SwapBelowLimitIsRejectedBeforeAnyWrite()
    {
        var (host, mgr) = Created();
        Assert.Throws<SpecValidationException>(() =>
            mgr.Apply(new LinuxResources { Cpu = new CpuResources { Shares = 2 }, Memory = new MemoryResources { Limit = 200 * MiB, Swap = 100 * MiB } }));
        Assert.Empty(host.Fs.Writes);
    }

    [Theory]
    [InlineData(0L, "max")]
    [InlineData(-1L, "max")]
    [InlineData(5L, "5")]
    public void Apply_PidsLimit(long limit, string expected)
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Pids = new PidsResources { Limit = limit } });
        Assert.Equal([($"{host.Dir("pids")}/pids.max", expected)], host.Fs.Writes);
    }

    [Fact]
    public void Apply_UnlimitedQuotaIsMinusOne()
    {
        var (host, mgr) = Created();
        mgr.Apply(new LinuxResources { Cpu = new CpuResources { Quota = -1, Period = 100000 } });
        var cpu = host.Dir("cpu");
        Assert.Equal([($"{cpu}/cpu.cfs_period_us", "100000"), ($"{cpu}/cpu.cfs_quota_us", "-1")], host.Fs.Writes);
    }

    [Fact]
    public void Apply_RetriesPeriodAfterQuotaWhenKernelRejectsIt()
    {
        var (host, mgr) = Created(h => h.RejectPeriodOnce = true);
        mgr.Apply(new LinuxResources { Cpu = new CpuResources { Quota = 10000, Period = 20000 } });
        var cpu = host.Dir("cpu");
        Assert.Equal([($"{cpu}/cpu.cfs_quota_us", "10000"), ($"{cpu}/cpu.cfs_period_us", "20000")], host.Fs.Writes);
    }

    [Fact]
    public void Apply_BlkioWeightPrefersCfqFile()
    {
        var (host, mgr) = Created(h => h.BlkioWeightFile = "blkio.weight");
        mgr.Apply(new LinuxResources { BlockIO = new BlockIoResources { Weight = 500 } });
        Assert.Equal([($"{host.Dir("blkio")}/blkio.weight", "500")], host.Fs.Writes);
    }

    [Fact]
    public void Apply_BlkioWeightWithoutAnyWeightFileIsRecordedNotFatal()
    {
        var (host, mgr) = Created(h => h.BlkioWeightFile = null);
        mgr.Apply(new LinuxResources { BlockIO = new BlockIoResources { Weight = 500 }, Pids = new PidsResources { Limit = 3 } });
        Assert.Equal([($"{host.Dir("pids")}/pids.max", "3")], host.Fs.Writes);
        Assert.Single(mgr.Warnings, w => w.Contains("blkio"));
    }

    [Fact]
    public void Apply_UnifiedOnV1AndBadDeviceRulesAreSpecErrors()
    {
        var (host, mgr) = Created();
        Assert.Throws<SpecValidationException>(() => mgr.Apply(new LinuxResources { Unified = { ["memory.high"] = "1" } }));
        Assert.Throws<SpecValidationException>(() => mgr.Apply(new LinuxResources
        {
            Pids = new PidsResources { Limit = 1 },
            Devices = [new DeviceCgroupRule { Allow = true, Type = "x" }],
        }));
        Assert.Throws<SpecValidationException>(() => mgr.Apply(new LinuxResources { Devices = [new DeviceCgroupRule { Allow = true, Access = "rx" }] }));
        Assert.Empty(host.Fs.Writes);
    }

    [Fact]
    public void Apply_NullLeavesEverythingAlone()
    {
        var (host, mgr) = Created();
        mgr.Apply(null);
        mgr.Apply(new LinuxResources());
        Assert.Empty(host.Fs.Writes);
    }

    [Fact]
    public void Freeze_WaitsUntilFrozenThenThaws()
    {
        var (host, mgr) = Created(h => h.FreezingWrites = 3);
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());
        mgr.Freeze();
        Assert.Equal(CgroupFreezerState.Frozen, mgr.GetFreezerState());
        Assert.Equal(4, host.Fs.Writes.Count(w => w.Value == "FROZEN"));
        mgr.Thaw();
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());
    }

    [Fact]
    public void Freeze_TimesOutAndLeavesTheCgroupThawed()
    {
        var (host, mgr) = Created(h =>
        {
            h.FreezingWrites = int.MaxValue;
            h.Options = new CgroupOptions { FreezeTimeout = TimeSpan.FromMilliseconds(30), PollInterval = TimeSpan.FromMilliseconds(1) };
        });
        Assert.Throws<CgroupException>(mgr.Freeze);
        Assert.Equal("THAWED", host.Fs.Writes[^1].Value);
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());
    }

    [Fact]
    public void FreezerState_UndefinedWithoutFreezerHierarchy()
    {
        var host = new FakeV1Host();
        host.Mounts.Remove("freezer");
        var mgr = host.Manager();
        Assert.Equal(CgroupFreezerState.Undefined, mgr.GetFreezerState());
        Assert.Throws<CgroupException>(mgr.Freeze);
    }

    [Theory]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3UL)]
    [InlineData("oom_kill_disable 1\nunder_oom 0\n", 0UL)]
    public void OomKillCount_ParsesOomControl(string content, ulong expected)
    {
        var (host, mgr) = Created();
        Assert.Equal(host.Dir("memory") + "/memory.oom_control", mgr.OomCounterFile);
        host.Fs.Files[mgr.OomCounterFile!] = content;
        Assert.Equal(expected, mgr.GetOomKillCount());
    }

    [Fact]
    public void ProcsFiles_OnePerHierarchy_CoMountedControllersShareOne()
    {
        var host = new FakeV1Host(comountCpu: true);
        var mgr = host.Manager();
        Assert.Equal("/cg/cpu,cpuacct/containerconsole/abc/cgroup.procs", mgr.ProcsFiles["cpu,cpuacct"]);
        Assert.Equal("/cg/systemd/containerconsole/abc/cgroup.procs", mgr.ProcsFiles["name=systemd"]);
        Assert.Equal(8, mgr.ProcsFiles.Count);
        mgr.Create();
        Assert.Equal(16, host.Fs.Created.Count);
    }

    [Fact]
    public void SystemdPathMapsToSliceAndScopeDirectories()
    {
        var host = new FakeV1Host();
        var mgr = host.Manager("machine-ctr.slice:cc:abc");
        Assert.Equal("/machine.slice/machine-ctr.slice/cc-abc.scope", mgr.Path);
        mgr.Create();
        Assert.Contains("/cg/memory/machine.slice/machine-ctr.slice/cc-abc.scope", host.Fs.Dirs);
    }

    [Fact]
    public void GetStats_ReadsV1Files()
    {
        var (host, mgr) = Created();
        var f = host.Fs.Files;
        f[host.Dir("memory") + "/memory.usage_in_bytes"] = "1000\n";
        f[host.Dir("memory") + "/memory.limit_in_bytes"] = "4096\n";
        f[host.Dir("memory") + "/memory.max_usage_in_bytes"] = "2000\n";
        f[host.Dir("memory") + "/memory.stat"] = "cache 5\nrss 7\ntotal_cache 300\ntotal_rss 7\n";
        f[host.Dir("cpuacct") + "/cpuacct.usage"] = "900\n";
        f[host.Dir("cpuacct") + "/cpuacct.usage_user"] = "600\n";
        f[host.Dir("cpuacct") + "/cpuacct.usage_sys"] = "300\n";
        f[host.Dir("cpu") + "/cpu.stat"] = "nr_periods 10\nnr_throttled 4\nthrottled_time 12345\n";
        f[host.Dir("pids") + "/pids.current"] = "3\n";
        f[host.Dir("pids") + "/pids.max"] = "max\n";
        f[host.Dir("blkio") + "/blkio.throttle.io_service_bytes_recursive"] =
            "8:0 Read 100\n8:0 Write 50\n8:0 Sync 0\n8:0 Total 150\n8:16 Read 1\n8:16 Write 2\nTotal 153\n";

        var s = mgr.GetStats();
        Assert.Equal(1000UL, s.MemoryUsage);
        Assert.Equal(4096UL, s.MemoryLimit);
        Assert.Equal(2000UL, s.MemoryMaxUsage);
        Assert.Equal(300UL, s.MemoryCache);
        Assert.Equal((900UL, 600UL, 300UL), (s.CpuUsageTotalNs, s.CpuUsageUserNs, s.CpuUsageSystemNs));
        Assert.Equal((10UL, 4UL, 12345UL), (s.CpuPeriods, s.CpuThrottledPeriods, s.CpuThrottledTimeNs));
        Assert.Equal(3UL, s.PidsCurrent);
        Assert.Null(s.PidsLimit);
        Assert.Equal((101UL, 52UL), (s.IoReadBytes, s.IoWriteBytes));

        f[host.Dir("memory") + "/memory.limit_in_bytes"] = FakeV1Host.Unlimited + "\n";
        Assert.Null(mgr.GetStats().MemoryLimit);
    }

    [Fact]
    public void KillAll_FreezesSignalsEveryPidIncludingNestedThenThaws()
    {
        var (host, mgr) = Created();
        host.Fs.Files[host.Dir("freezer") + "/cgroup.procs"] = "101\n102\n";
        host.Fs.AddFile(host.Dir("freezer") + "/inner/cgroup.procs", "103\n");
        Assert.Equal([101, 102, 103], mgr.GetPids());

        mgr.KillAll(15);

        Assert.Equal([(101, 15), (102, 15), (103, 15)], host.Signals);
        var freezer = host.Fs.Writes.Where(w => w.Path.EndsWith("freezer.state")).Select(w => w.Value).ToList();
        Assert.Equal(["FROZEN", "THAWED"], freezer);
    }

    [Fact]
    public void KillAll_SigkillThawsAPausedContainerSoItCanDie()
    {
        var (host, mgr) = Created();
        host.Fs.Files[host.Dir("freezer") + "/cgroup.procs"] = "101\n";
        mgr.Freeze();
        host.Fs.Writes.Clear();
        mgr.KillAll(9);
        Assert.Equal([(101, 9)], host.Signals);
        Assert.Equal([(host.Dir("freezer") + "/freezer.state", "THAWED")], host.Fs.Writes);
    }

    [Fact]
    public void Destroy_KillsRemainingTasksThenRemovesChildrenFirstAndRetriesBusy()
    {
        var (host, mgr) = Created();
        mgr.AddProcess(555);
        host.Fs.AddFile(host.Dir("memory") + "/nested/cgroup.procs", "");
        host.Fs.BusyRemovals[host.Dir("pids")] = 2; // tasks still leaving after SIGKILL

        mgr.Destroy();

        Assert.Contains((555, 9), host.Signals);
        var mem = host.Dir("memory");
        Assert.True(host.Fs.Removed.IndexOf(mem + "/nested") < host.Fs.Removed.IndexOf(mem));
        foreach (var m in host.Mounts.Values)
        {
            Assert.DoesNotContain($"{m}/containerconsole/abc", host.Fs.Dirs);
            Assert.Contains($"{m}/containerconsole", host.Fs.Dirs); // the shared parent stays
        }
        Assert.Equal(host.Mounts.Count + 1, host.Fs.Removed.Count);

        mgr.Destroy(); // idempotent
    }

    [Fact]
    public void Destroy_GivesUpWithEbusyAfterTheTimeout()
    {
        var (host, mgr) = Created(h => h.Options = new CgroupOptions
        {
            RemoveTimeout = TimeSpan.FromMilliseconds(20),
            PollInterval = TimeSpan.FromMilliseconds(1),
            SignalProcess = (_, _) => { },
        });
        host.Fs.BusyRemovals[host.Dir("memory")] = int.MaxValue;
        var e = Assert.Throws<CgroupException>(mgr.Destroy);
        Assert.Equal(FakeCgroupFs.EBUSY, e.Errno);
    }
}
