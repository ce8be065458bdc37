using System.Diagnostics;
using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Spec;
using Xunit.Abstractions;
using Process = System.Diagnostics.Process;

namespace ContainerConsole.Runtime.Tests.Cgroups;

/// <summary>
/// Drives the real kernel's cgroupfs (root only). Everything lives under
/// /containerconsole-test-&lt;random&gt; in each hierarchy and is removed in Dispose, even on failure.
/// </summary>
public sealed class CgroupRealKernelTests : IDisposable
{
    private const long MiB = 1024 * 1024;

    private readonly ITestOutputHelper _out;
    private readonly string _parent = "/containerconsole-test-" + Convert.ToHexString(Guid.NewGuid().ToByteArray()[..6]).ToLowerInvariant();
    private readonly List<Process> _processes = [];
    private readonly CgroupLayout _layout;

    public CgroupRealKernelTests(ITestOutputHelper output)
    {
        _out = output;
        _layout = new CgroupManagerFactory().DetectLayout();
    }

    private static CgroupOptions Options => new() { FreezeTimeout = TimeSpan.FromSeconds(10), RemoveTimeout = TimeSpan.FromSeconds(10) };

    private Process StartSleep()
    {
        var p = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        _processes.Add(p);
        return p;
    }

    private static string Read(string path) => File.ReadAllText(path).Trim();

    private bool RequireV1()
    {
        if (_layout.Mode != CgroupMode.Unified)
            return true;
        _out.WriteLine("host has no cgroup v1 hierarchies; nothing to test");
        return false;
    }

    [RequiresRootFact]
    public void V1_FullLifecycleAgainstTheKernel()
    {
        if (!RequireV1())
            return;
        var mgr = new CgroupV1Manager(_parent + "/ctr", _layout.V1Mounts, options: Options);
        mgr.Create();
        var dirs = mgr.ProcsFiles.Values.Select(Path.GetDirectoryName).OfType<string>().ToList();
        Assert.All(dirs, d => Assert.True(Directory.Exists(d), d));

        var cpuset = mgr.DirectoryOf("cpuset");
        if (cpuset is not null)
            Assert.Equal(Read(_layout.V1Mounts["cpuset"] + "/cpuset.cpus"), Read(cpuset + "/cpuset.cpus"));

        var mem = mgr.DirectoryOf("memory")!;
        var hasMemsw = File.Exists(mem + "/memory.memsw.limit_in_bytes");
        mgr.Apply(new LinuxResources
        {
            Memory = new MemoryResources { Limit = 64 * MiB, Swap = hasMemsw ? 128 * MiB : null, Reservation = 32 * MiB },
            Pids = new PidsResources { Limit = 32 },
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000 },
            BlockIO = new BlockIoResources { Weight = 200 },
            Devices =
            [
                new DeviceCgroupRule { Allow = false, Access = "rwm" },
                new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
                new DeviceCgroupRule { Allow = true, Type = "c", Major = 136, Access = "rw" },
            ],
        });
        foreach (var w in mgr.Warnings)
            _out.WriteLine("warning: " + w);
        Assert.Equal("67108864", Read(mem + "/memory.limit_in_bytes"));
        if (hasMemsw)
            Assert.Equal("134217728", Read(mem + "/memory.memsw.limit_in_bytes"));
        Assert.Equal("32", Read(mgr.DirectoryOf("pids") + "/pids.max"));
        Assert.Equal("512", Read(mgr.DirectoryOf("cpu") + "/cpu.shares"));
        Assert.Equal("50000", Read(mgr.DirectoryOf("cpu") + "/cpu.cfs_quota_us"));
        var devices = Read(mgr.DirectoryOf("devices") + "/devices.list").Split('\n');
        Assert.Equal(new[] { "c 1:3 rwm", "c 136:* rw" }.Order(), devices.Order());

        if (hasMemsw)
        {
            // The kernel enforces memsw >= limit, so these only pass with the right write order.
            mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 256 * MiB, Swap = 512 * MiB } });
            Assert.Equal((256 * MiB).ToString(), Read(mem + "/memory.limit_in_bytes"));
            Assert.Equal((512 * MiB).ToString(), Read(mem + "/memory.memsw.limit_in_bytes"));
            mgr.Apply(new LinuxResources { Memory = new MemoryResources { Limit = 32 * MiB, Swap = 48 * MiB } });
            Assert.Equal((32 * MiB).ToString(), Read(mem + "/memory.limit_in_bytes"));
            Assert.Equal((48 * MiB).ToString(), Read(mem + "/memory.memsw.limit_in_bytes"));
        }

        var p = StartSleep();
        mgr.AddProcess(p.Id);
        Assert.Equal([p.Id], mgr.GetPids());
        Assert.Contains($":memory:{mgr.Path}", File.ReadAllText($"/proc/{p.Id}/cgroup"));

        mgr.Freeze();
        Assert.Equal(CgroupFreezerState.Frozen, mgr.GetFreezerState());
        Assert.Equal("FROZEN", Read(mgr.DirectoryOf("freezer") + "/freezer.state"));
        _out.WriteLine("frozen task: " + File.ReadLines($"/proc/{p.Id}/status").First(l => l.StartsWith("State:")));
        mgr.Thaw();
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());

        var stats = mgr.GetStats();
        Assert.Equal(1UL, stats.PidsCurrent);
        Assert.Equal(32UL, stats.PidsLimit);
        Assert.Equal((ulong)(32 * MiB), stats.MemoryLimit);
        Assert.Equal(0UL, mgr.GetOomKillCount());
        Assert.Contains("oom_kill ", File.ReadAllText(mgr.OomCounterFile!));

        mgr.KillAll(9);
        Assert.True(p.WaitForExit(5000), "sleep survived SIGKILL");
        mgr.Destroy();
        Assert.All(dirs, d => Assert.False(Directory.Exists(d), d));

        new CgroupV1Manager(_parent, _layout.V1Mounts, options: Options).Destroy();
        Assert.All(_layout.V1Mounts.Values, m => Assert.False(Directory.Exists(m + _parent)));
    }

    [RequiresRootFact]
    public void V1_DestroyKillsWhatIsStillRunning()
    {
        if (!RequireV1())
            return;
        var mgr = new CgroupV1Manager(_parent + "/busy", _layout.V1Mounts, options: Options);
        mgr.Create();
        var p = StartSleep();
        mgr.AddProcess(p.Id);
        var sw = Stopwatch.StartNew();
        mgr.Destroy();
        _out.WriteLine($"destroy with a live task took {sw.ElapsedMilliseconds} ms");
        Assert.True(p.WaitForExit(5000));
        Assert.All(_layout.V1Mounts.Values, m => Assert.False(Directory.Exists(m + mgr.Path)));
    }

    [RequiresRootFact]
    public void V2_FreezeKillAndDeviceFilterOnTheUnifiedMount()
    {
        // Freezing, cgroup.kill and device eBPF programs are core cgroup2 features: they work even
        // where (as on a hybrid host) no controllers are enabled in the unified tree.
        if (_layout.UnifiedMount is not { } root || !File.Exists(root + "/cgroup.procs"))
        {
            _out.WriteLine("no cgroup2 mount; nothing to test");
            return;
        }
        var mgr = new CgroupV2Manager(_parent + "/ctr", root, options: Options);
        mgr.Create();
        if (!File.Exists(mgr.Directory + "/cgroup.freeze"))
        {
            _out.WriteLine("kernel has no cgroup.freeze; skipping");
            return;
        }

        mgr.Apply(new LinuxResources
        {
            Devices =
            [
                new DeviceCgroupRule { Allow = false, Access = "rwm" },
                new DeviceCgroupRule { Allow = true, Type = "c", Major = 1, Minor = 3, Access = "rwm" },
            ],
        });
        var output = RunShellInCgroup(mgr,
            "head -c1 /dev/null && echo null-ok; if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi");
        Assert.Contains("null-ok", output);
        Assert.Contains("zero-denied", output);
        Assert.Single(BpfDeviceFilterLoader.QueryAttached(mgr.Directory));

        // A second Apply replaces the filter: stacked programs would all have to allow, so /dev/zero stays denied if it stacked.
        mgr.Apply(new LinuxResources { Devices = [new DeviceCgroupRule { Allow = true, Access = "rwm" }] });
        Assert.Single(BpfDeviceFilterLoader.QueryAttached(mgr.Directory));
        Assert.Contains("zero-ok", RunShellInCgroup(mgr, "if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi"));

        var p = StartSleep();
        mgr.AddProcess(p.Id);
        mgr.Freeze();
        Assert.Equal(CgroupFreezerState.Frozen, mgr.GetFreezerState());
        Assert.Contains("frozen 1", File.ReadAllText(mgr.Directory + "/cgroup.events"));
        mgr.Thaw();
        Assert.Equal(CgroupFreezerState.Thawed, mgr.GetFreezerState());

        mgr.KillAll(9);
        Assert.True(p.WaitForExit(5000), "sleep survived KillAll");
        mgr.Destroy();
        Assert.False(Directory.Exists(mgr.Directory));
        new CgroupV2Manager(_parent, root, options: Options).Destroy();
        Assert.False(Directory.Exists(root + _parent));
    }

    /// <summary>Starts sh blocked on stdin, moves it into the cgroup, then lets it run the script.</summary>
    private string RunShellInCgroup(ICgroupManager mgr, string script)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "read go; " + script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var sh = Process.Start(psi)!;
        _processes.Add(sh);
        mgr.AddProcess(sh.Id);
        sh.StandardInput.WriteLine("go");
        sh.StandardInput.Close();
        var output = sh.StandardOutput.ReadToEnd();
        Assert.True(sh.WaitForExit(5000));
        return output;
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                    p.Kill();
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
        // Best-effort cleanup of whatever a failed test left behind.
        try
        {
            if (_layout.Mode != CgroupMode.Unified)
                new CgroupV1Manager(_parent, _layout.V1Mounts, options: Options).Destroy();
        }
        catch (Exception e)
        {
            _out.WriteLine("v1 cleanup: " + e.Message);
        }
        try
        {
            if (_layout.UnifiedMount is { } root)
                new CgroupV2Manager(_parent, root, options: Options).Destroy();
        }
        catch (Exception e)
        {
            _out.WriteLine("v2 cleanup: " + e.Message);
        }
    }
}
