using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Runtime.Tests.Cgroups;

public class CgroupManagerFactoryTests
{
    // This project's CI host: v1 controllers plus systemd's empty cgroup2 at /sys/fs/cgroup/unified.
    private const string HybridMountInfo = """
        22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private const string PureV2MountInfo = """
        24 18 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        25 22 0:23 / /proc rw,nosuid shared:12 - proc proc rw
        """;

    [Fact]
    public void Hybrid_IsV1WithEveryHierarchy()
    {
        var layout = CgroupManagerFactory.ParseMountInfo(HybridMountInfo);
        Assert.Equal(CgroupMode.Hybrid, layout.Mode);
        Assert.Equal("/sys/fs/cgroup/unified", layout.UnifiedMount);
        Assert.Equal("/sys/fs/cgroup/memory", layout.V1Mounts["memory"]);
        Assert.Equal("/sys/fs/cgroup/systemd", layout.V1Mounts["name=systemd"]);
        Assert.Equal(9, layout.V1Mounts.Count);

        var fs = new FakeCgroupFs();
        fs.AddFile("/proc/self/mountinfo", HybridMountInfo);
        var mgr = Assert.IsType<CgroupV1Manager>(new CgroupManagerFactory(fs).Create("/containerconsole/x"));
        Assert.Equal("/sys/fs/cgroup/freezer/containerconsole/x", mgr.DirectoryOf("freezer"));
    }

    [Fact]
    public void PureV2_IsV2AtTheMountPoint()
    {
        var layout = CgroupManagerFactory.ParseMountInfo(PureV2MountInfo);
        Assert.Equal(CgroupMode.Unified, layout.Mode);
        Assert.Empty(layout.V1Mounts);

        var fs = new FakeCgroupFs();
        fs.AddFile("/proc/self/mountinfo", PureV2MountInfo);
        var mgr = Assert.IsType<CgroupV2Manager>(new CgroupManagerFactory(fs).Create(null, "abc"));
        Assert.Equal("/sys/fs/cgroup/containerconsole/abc", mgr.Directory);
    }

    [Fact]
    public void CoMountedAndEscapedMountPoints()
    {
        var layout = CgroupManagerFactory.ParseMountInfo(
            "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw shared:1 master:2 - cgroup cgroup rw,cpu,cpuacct\n" +
            "32 30 0:29 / /mnt/my\\040cgroups/memory rw - cgroup none rw,memory,clone_children\n");
        Assert.Equal(CgroupMode.Legacy, layout.Mode);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Mounts["cpu"]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Mounts["cpuacct"]);
        Assert.Equal("/mnt/my cgroups/memory", layout.V1Mounts["memory"]);
        Assert.False(layout.V1Mounts.ContainsKey("clone_children"));
    }

    [Fact]
    public void OnlyANamedV1HierarchyBesideCgroup2CountsAsV2()
    {
        var layout = CgroupManagerFactory.ParseMountInfo(PureV2MountInfo + "\n40 24 0:40 / /run/systemd-v1 rw - cgroup cgroup rw,name=systemd\n");
        Assert.Equal(CgroupMode.Unified, layout.Mode);
    }

    [Fact]
    public void NoCgroupFilesystemThrows() =>
        Assert.Throws<CgroupException>(() => CgroupManagerFactory.ParseMountInfo("25 22 0:23 / /proc rw - proc proc rw\n"));

    [Fact]
    public void InjectedRootsLetTheFactoryDriveAFakeHost()
    {
        var host = new FakeV2Host();
        host.Fs.AddFile("/mi", $"1 0 0:1 / {FakeV2Host.Root} rw - cgroup2 cgroup2 rw\n");
        var mgr = new CgroupManagerFactory(host.Fs, host.Options, mountInfoPath: "/mi").Create("/a/b");
        mgr.Create();
        Assert.Contains($"{FakeV2Host.Root}/a/b", host.Fs.Dirs);
    }

    [Fact]
    public void ThisHostIsDetected()
    {
        // Whatever the machine, detection must not throw and must pick a usable mode.
        var layout = new CgroupManagerFactory().DetectLayout();
        Assert.True(layout.Mode == CgroupMode.Unified ? layout.UnifiedMount is not null : layout.V1Mounts.Count > 0);
    }
}

public class CgroupPathsTests
{
    [Theory]
    [InlineData(null, "/containerconsole/abc")]
    [InlineData("", "/containerconsole/abc")]
    [InlineData("/containerconsole/abc", "/containerconsole/abc")]
    [InlineData("//a///b/", "/a/b")]
    [InlineData("relative/x", "/relative/x")]
    [InlineData("system.slice:cc:abc", "/system.slice/cc-abc.scope")]
    [InlineData(":cc:abc", "/system.slice/cc-abc.scope")]
    [InlineData("machine-ctr.slice:cc:abc", "/machine.slice/machine-ctr.slice/cc-abc.scope")]
    [InlineData("-.slice::abc", "/abc.scope")]
    [InlineData("user.slice:cc:my.slice", "/user.slice/my.slice")]
    public void Resolve(string? input, string expected) => Assert.Equal(expected, CgroupPaths.Resolve(input, "abc"));

    [Theory]
    [InlineData("/a/../b")]
    [InlineData("/")]
    [InlineData("a:b")]
    [InlineData("bad:cc:abc")]
    [InlineData("a--b.slice:cc:abc")]
    [InlineData("system.slice:cc:a/b")]
    public void RejectsUnsafeOrMalformedPaths(string input) =>
        Assert.Throws<SpecValidationException>(() => CgroupPaths.Resolve(input, "abc"));
}
