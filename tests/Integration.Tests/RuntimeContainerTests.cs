using System.Globalization;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Integration.Tests;

/// <summary>Real containers through ccrun: output, exit codes, limits, confinement.</summary>
public sealed class RuntimeContainerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string[] Sh(string script) => ["sh", "-c", script];

    [RequiresRootFact]
    public void EchoOutputIsCaptured()
    {
        using var b = new TestBundle(["echo", "hello from a container"]);
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("hello from a container\n", r.Stdout);
    }

    [RequiresRootFact]
    public void ExitCodesPassThrough()
    {
        using (var b = new TestBundle(["true"]))
            Assert.Equal(0, b.RunForeground().ExitCode);
        using (var b = new TestBundle(Sh("exit 3")))
            Assert.Equal(3, b.RunForeground().ExitCode);
    }

    [RequiresRootFact]
    public void SigkillFromOutsideGives137()
    {
        using var b = new TestBundle(["sleep", "600"]);
        Assert.Equal(0, b.Create().ExitCode);
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        var pid = b.InitPid();
        Assert.Equal(0, b.Ccrun("kill", b.Id, "KILL").ExitCode);
        b.WaitForStatus("stopped", Wait);
        var state = File.Exists($"/proc/{pid}/stat") ? File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] : 'X';
        Assert.True(state is 'X' or 'Z', $"init still running after SIGKILL (state {state})");
    }

    [RequiresRootFact]
    public void ForegroundRunReportsSignalDeathAs128PlusSignal()
    {
        // pid 1 of a namespace ignores signals it has no handler for, so the shell's
        // child is the one killed; the shell reports its death as 128+signal.
        using var b = new TestBundle(Sh("sleep 600 & echo started; wait $!"));
        var run = Task.Run(b.RunForeground);
        var deadline = DateTime.UtcNow + Wait;
        while (b.Status() != "running" && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Thread.Sleep(200);
        Assert.Equal(0, b.Ccrun("kill", "--all", b.Id, "TERM").ExitCode);
        Assert.True(run.Wait(Wait));
        Assert.Equal(143, run.Result.ExitCode);

        using var k = new TestBundle(Sh("sleep 600 & wait $!"));
        var run2 = Task.Run(k.RunForeground);
        deadline = DateTime.UtcNow + Wait;
        while (k.Status() != "running" && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.Equal(0, k.Ccrun("kill", k.Id, "KILL").ExitCode);
        Assert.True(run2.Wait(Wait));
        Assert.Equal(137, run2.Result.ExitCode);
    }

    [RequiresRootFact]
    public void MemoryLimitOomKillsAnAllocationLoop()
    {
        using var b = new TestBundle(Sh("echo allocating; x=$(yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 400000000); echo survived ${#x}"), s =>
            s.Linux!.Resources!.Memory = new MemoryResources { Limit = 32 * 1024 * 1024, Swap = 32 * 1024 * 1024 });
        var r = b.RunForeground();
        Assert.Equal(137, r.ExitCode);
        Assert.DoesNotContain("survived", r.Stdout);
    }

    [RequiresRootFact]
    public void PidsLimitStopsAForkLoop()
    {
        // Under the limit not even the shell can fork to report; its own error is the evidence.
        const string forkLoop = "n=0; while [ $n -lt 40 ]; do sleep 5 & n=$((n+1)); done";
        using var b = new TestBundle(Sh(forkLoop), s => s.Linux!.Resources!.Pids = new PidsResources { Limit = 10 });
        var r = b.RunForeground();
        Assert.Contains("can't fork", r.Stderr);
        Assert.Contains("Resource temporarily unavailable", r.Stderr);
    }

    [RequiresRootFact]
    public void HostnameAndPidOneInside()
    {
        using var b = new TestBundle(Sh("hostname; echo $$"));
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"box-{b.Id}\n1\n", r.Stdout);
    }

    [RequiresRootFact]
    public void MaskedPathsAreEmptyInside()
    {
        // /proc/kcore is absent on kernels without CONFIG_PROC_KCORE (this one): check every
        // masked path the host has, and that at least one was checked.
        var present = DefaultSpec.MaskedPaths.Where(p => File.Exists(p) || Directory.Exists(p)).ToList();
        Assert.NotEmpty(present);
        var script = string.Join("; ", present.Select(p => Directory.Exists(p) ? $"echo {p} $(ls -A {p} | wc -l)" : $"echo {p} $(cat {p} | wc -c)"));
        using var b = new TestBundle(Sh(script));
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var p in present)
            Assert.Contains($"{p} 0\n", r.Stdout);
    }

    [RequiresRootFact]
    public void ReadonlyPathsRefuseWrites()
    {
        using var b = new TestBundle(Sh("echo 1 > /proc/sys/kernel/domainname && echo wrote || echo refused; touch /sys/fs/cgroup/x && echo cg-wrote || echo cg-refused; ls /sys/fs/cgroup | grep -c memory"));
        var r = b.RunForeground();
        Assert.Contains("refused\n", r.Stdout);
        Assert.Contains("cg-refused\n", r.Stdout);
        Assert.EndsWith("1\n", r.Stdout); // the container sees its own cgroup hierarchies
    }

    [RequiresRootFact]
    public void DefaultSeccompProfileDeniesUnshareAndMount()
    {
        using var b = new TestBundle(Sh("unshare -m true; echo unshare=$?; mount -t tmpfs none /tmp; echo mount=$?"));
        var r = b.RunForeground();
        Assert.Contains("unshare=1", r.Stdout);
        Assert.Contains("mount=", r.Stdout);
        Assert.DoesNotContain("mount=0", r.Stdout);
        Assert.Contains("Operation not permitted", r.Stderr);
    }

    [RequiresRootFact]
    public void SysAdminIsNotInTheEffectiveSet()
    {
        using var b = new TestBundle(Sh("grep -E '^Cap(Eff|Bnd)' /proc/self/status"));
        var r = b.RunForeground();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var mask = ulong.Parse(line.Split('\t')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Equal(0UL, mask & (1UL << 21)); // CAP_SYS_ADMIN
            Assert.NotEqual(0UL, mask & 1UL);      // CAP_CHOWN (a Docker default) is there
        }
    }

    [RequiresRootFact]
    public void NetworkNamespaceHasLoopbackUp()
    {
        using var b = new TestBundle(Sh("ip link show lo | head -1; ls /sys/class/net"));
        var r = b.RunForeground();
        Assert.Contains("UP", r.Stdout.Split('\n')[0]);
        Assert.Equal("lo", r.Stdout.Split('\n')[1].Trim());
    }

    [RequiresRootFact]
    public void UserRlimitUmaskAndCwdApply()
    {
        using var b = new TestBundle(Sh("id -u; id -g; ulimit -n; umask; pwd"), s =>
        {
            s.Process!.User = new User { Uid = 1000, Gid = 1000, Umask = 0x12, AdditionalGids = [5] };
            s.Process.Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 512, Hard = 512 }];
            s.Process.Cwd = "/tmp";
        });
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("1000\n1000\n512\n0022\n/tmp\n", r.Stdout);
    }

    [RequiresRootFact]
    public void ReadonlyRootAndTmpfsMount()
    {
        using var b = new TestBundle(Sh("touch /x 2>/dev/null && echo root-writable || echo root-readonly; touch /scratch/y && echo tmpfs-writable"), s =>
        {
            s.Root!.Readonly = true;
            s.Mounts.Add(new Mount { Destination = "/scratch", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "size=1m"] });
        });
        var r = b.RunForeground();
        Assert.Equal("root-readonly\ntmpfs-writable\n", r.Stdout);
    }

    [RequiresRootFact]
    public void JoinsAnotherContainersNamespacesByPath()
    {
        using var first = new TestBundle(["sleep", "600"]);
        Assert.Equal(0, first.Create().ExitCode);
        Assert.Equal(0, first.Ccrun("start", first.Id).ExitCode);
        var pid = first.InitPid();
        string Ns(string type) => new FileInfo($"/proc/{pid}/ns/{type}").LinkTarget!;
        using var second = new TestBundle(Sh("readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname"), s =>
        {
            s.Linux!.Namespaces.RemoveAll(n => n.Type is "network" or "uts");
            s.Linux.Namespaces.Add(new LinuxNamespace { Type = "network", Path = $"/proc/{pid}/ns/net" });
            s.Linux.Namespaces.Add(new LinuxNamespace { Type = "uts", Path = $"/proc/{pid}/ns/uts" });
            s.Hostname = null;
        });
        var r = second.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"{Ns("net")}\n{Ns("uts")}\nbox-{first.Id}\n", r.Stdout);
    }

    [RequiresRootFact]
    public void NamespacedSysctlsApplyInsideOnly()
    {
        var hostForward = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim();
        var wanted = hostForward == "1" ? "0" : "1";
        using var b = new TestBundle(Sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"), s =>
        {
            s.Linux!.Sysctl["net.ipv4.ip_forward"] = wanted;
            s.Linux.Sysctl["kernel.shmmni"] = "1234";
        });
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"{wanted}\n1234\n", r.Stdout);
        Assert.Equal(hostForward, File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim());
    }

    [RequiresRootFact]
    public void DeviceCgroupDeniesDevicesOutsideTheAllowList()
    {
        // mknod is allowed (Docker's "b *:* m"), reading the disk it names is not.
        using var b = new TestBundle(Sh("mknod /tmp/disk b 8 0 && echo made; head -c1 /tmp/disk >/dev/null && echo read || echo denied; head -c1 /dev/zero | wc -c"));
        var r = b.RunForeground();
        Assert.Equal("made\ndenied\n1\n", r.Stdout);
        Assert.Contains("Operation not permitted", r.Stderr);
    }

    [RequiresRootFact]
    public void CpuLimitsReachTheCgroup()
    {
        using var b = new TestBundle(["sleep", "600"], s => s.Linux!.Resources!.Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0" });
        Assert.Equal(0, b.Create().ExitCode);
        string Read(string file) => File.ReadAllText($"/sys/fs/cgroup/{file.Split('.')[0]}/containerconsole-test/{b.Id}/{file}").Trim();
        Assert.Equal("512", Read("cpu.shares"));
        Assert.Equal("50000", Read("cpu.cfs_quota_us"));
        Assert.Equal("100000", Read("cpu.cfs_period_us"));
        Assert.Equal("0", Read("cpuset.cpus"));
        Assert.Contains(b.InitPid().ToString(CultureInfo.InvariantCulture), File.ReadAllText($"/sys/fs/cgroup/cpu/containerconsole-test/{b.Id}/cgroup.procs"));
    }

    [RequiresRootFact]
    public void UserNamespaceMapsRootToAnUnprivilegedHostId()
    {
        const uint hostBase = 200000;
        using var b = new TestBundle(Sh("id -u; cat /proc/self/uid_map; echo x > /dev/shm/f && echo wrote; sleep 600"), s =>
        {
            s.Linux!.Namespaces.Add(new LinuxNamespace { Type = "user" });
            s.Linux.UidMappings = [new IdMapping { ContainerID = 0, HostID = hostBase, Size = 65536 }];
            s.Linux.GidMappings = [new IdMapping { ContainerID = 0, HostID = hostBase, Size = 65536 }];
            s.Mounts.RemoveAll(m => m.Type == "cgroup"); // cgroup v1 cannot be mounted from a user namespace
        });
        // The container's root owns its writable layer. (The shared lower layer stays host root's and
        // reads as nobody inside: copy-up needs idmapped layers, which the image store will bring.)
        foreach (var dir in new[] { "upper", "work" })
            Assert.Equal(0, TestEnvironment.Run("/bin/chown", $"{hostBase}:{hostBase}", Path.Combine(b.Dir, dir)).ExitCode);
        Assert.True(b.Create().ExitCode == 0, b.Output);
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        b.WaitForOutput("wrote", TimeSpan.FromSeconds(20));
        var lines = b.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0]);
        Assert.Equal(["0", hostBase.ToString(CultureInfo.InvariantCulture), "65536"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var uidLine = File.ReadAllLines($"/proc/{b.InitPid()}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal(hostBase.ToString(CultureInfo.InvariantCulture), uidLine.Split('\t')[1]); // root inside, unprivileged outside
    }

    [RequiresRootFact]
    public void ReadOnlyBindMountAndMountPropagation()
    {
        var hostDir = Directory.CreateTempSubdirectory("cc-bind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(hostDir, "seen"), "from host\n");
            using var b = new TestBundle(Sh("cat /data/seen; echo no > /data/new 2>/dev/null || echo data-ro; echo yes > /root/rootfs-still-writable && echo root-rw; grep -E ' /shared ' /proc/self/mountinfo | grep -c shared:"), s =>
            {
                s.Mounts.Add(new Mount { Destination = "/data", Type = "bind", Source = hostDir, Options = ["rbind", "ro"] });
                s.Mounts.Add(new Mount { Destination = "/shared", Type = "tmpfs", Source = "tmpfs", Options = ["rshared", "size=1m"] });
            });
            var r = b.RunForeground();
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal("from host\ndata-ro\nroot-rw\n1\n", r.Stdout);
            Assert.False(File.Exists(Path.Combine(hostDir, "new")));
        }
        finally
        {
            Directory.Delete(hostDir, true);
        }
    }

    [RequiresRootFact]
    public void SharedRootfsPropagation()
    {
        using var b = new TestBundle(Sh("grep -E '^[0-9]+ [0-9]+ [^ ]+ / / ' /proc/self/mountinfo | grep -c shared:"), s => s.Linux!.RootfsPropagation = "shared");
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("1\n", r.Stdout);
    }

    [RequiresRootFact]
    public void WritesLandInTheUpperLayerNotTheSharedRootfs()
    {
        using var b = new TestBundle(Sh("echo data > /root/file; rm /bin/yes; ls /bin/yes 2>&1 || true"));
        var r = b.RunForeground();
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(b.Dir, "upper/root/file")));
        Assert.True(File.Exists(Path.Combine(TestEnvironment.BusyboxRootfs, "bin/busybox")));
        Assert.NotNull(new FileInfo(Path.Combine(TestEnvironment.BusyboxRootfs, "bin/yes")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(TestEnvironment.BusyboxRootfs, "root/file")));
    }
}
