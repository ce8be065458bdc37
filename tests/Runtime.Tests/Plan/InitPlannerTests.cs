using System.Globalization;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.Tests.TestSupport;
using static ContainerConsole.Runtime.Plan.KernelConstants;

namespace ContainerConsole.Runtime.Tests.Plan;

public class InitPlannerTests
{
    private const string Rootfs = "/var/lib/cc/bundles/c1/rootfs";

    private static readonly CgroupMountSource[] V2 = [new("unified", "cgroup2", "")];

    private static readonly CgroupMountSource[] V1 =
    [
        new("memory", "cgroup", "memory"),
        new("cpu,cpuacct", "cgroup", "cpu,cpuacct"),
        new("systemd", "cgroup", "none,name=systemd"),
    ];

    private static PlanContext Ctx(
        IReadOnlyList<CgroupMountSource>? cgroups = null, string? fifo = null, string? console = null, bool wait = false,
        bool detach = false, string? seccomp = null, uint seccompFlags = 0, int seccompOffset = 0, int lastCap = 40) =>
        new(Rootfs, fifo, seccomp, seccompFlags, seccompOffset, console, cgroups ?? V2, lastCap, wait, detach);

    private static InitPlan Plan(RuntimeSpec spec, PlanContext? ctx = null) => InitPlanner.ForContainer(spec, ctx ?? Ctx());

    private static string N(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string[] F(PlanRecord? r)
    {
        Assert.NotNull(r);
        return [.. r.Fields];
    }

    private static PlanRecord MountAt(InitPlan plan, string dest) =>
        Assert.Single(plan.All("mount"), r => r.Fields[1] == dest);

    private static void SetNamespaces(RuntimeSpec spec, params (string Type, string? Path)[] namespaces) =>
        spec.Linux!.Namespaces = namespaces.Select(n => new LinuxNamespace { Type = n.Type, Path = n.Path }).ToList();

    private static int IndexOf(InitPlan plan, string op) => plan.Records.ToList().FindIndex(r => r.Op == op);

    private static int LastIndexOf(InitPlan plan, string op) => plan.Records.ToList().FindLastIndex(r => r.Op == op);

    // --- namespaces ---------------------------------------------------------

    [Fact]
    public void CloneFlagsAreTheNewNamespacesExceptCgroup()
    {
        var plan = Plan(DefaultSpec.Create());
        var clone = ulong.Parse(F(plan.Records[0])[0], CultureInfo.InvariantCulture);
        Assert.Equal("clone", plan.Records[0].Op);
        Assert.Equal(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS, clone);
        Assert.Equal(0UL, clone & CLONE_NEWCGROUP);
        Assert.Equal(0x6C020000UL, clone);
    }

    [Fact]
    public void CgroupNamespaceIsItsOwnRecordAfterTheIdMaps()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.Namespaces.Add(new LinuxNamespace { Type = "user" });
        spec.Linux.UidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        var plan = Plan(spec);

        Assert.Empty(F(plan.Find("cgroupns")));
        Assert.True(IndexOf(plan, "gidmap") < IndexOf(plan, "cgroupns"));
        Assert.True(IndexOf(plan, "cgroupns") < IndexOf(plan, "rootfs"));
        Assert.NotEqual(0UL, ulong.Parse(F(plan.Find("clone"))[0], CultureInfo.InvariantCulture) & CLONE_NEWUSER);
    }

    [Fact]
    public void NoCgroupNamespaceNoRecord()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.Namespaces.RemoveAll(n => n.Type == "cgroup");
        Assert.Null(Plan(spec).Find("cgroupns"));
    }

    [Fact]
    public void TimeNamespaceIsACloneFlag()
    {
        var spec = DefaultSpec.Create();
        SetNamespaces(spec, ("time", null), ("mount", null));
        Assert.Equal([N(CLONE_NEWTIME | CLONE_NEWNS)], F(Plan(spec).Find("clone")));
    }

    [Fact]
    public void NamespacesWithAPathAreJoinedNotCreated()
    {
        var spec = DefaultSpec.Create();
        SetNamespaces(spec, ("pid", null), ("network", "/var/run/netns/n1"), ("ipc", "/proc/77/ns/ipc"), ("mount", null));
        var plan = Plan(spec);

        Assert.Equal([N(CLONE_NEWPID | CLONE_NEWNS)], F(plan.Find("clone")));
        Assert.Equal(
            [[N(CLONE_NEWNET), "/var/run/netns/n1"], [N(CLONE_NEWIPC), "/proc/77/ns/ipc"]],
            plan.All("setns").Select(r => r.Fields.ToArray()));
        Assert.Equal(1, IndexOf(plan, "setns"));
        Assert.Null(plan.Find("loup")); // the joined network namespace is configured already
    }

    [Fact]
    public void JoinedNamespacesAreOrderedUserFirstMountLast()
    {
        // After setns into the mount namespace the other paths would resolve in the container's filesystem.
        var spec = DefaultSpec.Create();
        SetNamespaces(spec, ("mount", "/proc/9/ns/mnt"), ("network", "/proc/9/ns/net"), ("user", "/proc/9/ns/user"), ("pid", null));
        var plan = Plan(spec);
        Assert.Equal(["/proc/9/ns/user", "/proc/9/ns/net", "/proc/9/ns/mnt"], plan.All("setns").Select(r => r.Fields[1]));
    }

    [Fact]
    public void ExecJoinsUserFirstAndMountLast()
    {
        var process = new Process { Args = ["ps"], Cwd = "/" };
        var plan = InitPlanner.ForExec(process, 4242, ["pid", "mount", "network", "user", "ipc", "uts", "cgroup"], Ctx());

        Assert.Equal(["0"], F(plan.Records[0]));
        Assert.Equal("clone", plan.Records[0].Op);
        Assert.Equal(
            [
                [N(CLONE_NEWUSER), "/proc/4242/ns/user"],
                [N(CLONE_NEWPID), "/proc/4242/ns/pid"],
                [N(CLONE_NEWNET), "/proc/4242/ns/net"],
                [N(CLONE_NEWIPC), "/proc/4242/ns/ipc"],
                [N(CLONE_NEWUTS), "/proc/4242/ns/uts"],
                [N(CLONE_NEWCGROUP), "/proc/4242/ns/cgroup"],
                [N(CLONE_NEWNS), "/proc/4242/ns/mnt"],
            ],
            plan.All("setns").Select(r => r.Fields.ToArray()));
        Assert.DoesNotContain(plan.Records, r => r.Op is "rootfs" or "mount" or "mknod" or "cgroupns" or "uidmap" or "hostname" or "loup");
    }

    [Fact]
    public void IdMapsOnlyWithANewUserNamespace()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.UidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }, new IdMapping { ContainerID = 65536, HostID = 1000, Size = 1 }];
        spec.Linux.GidMappings = [new IdMapping { ContainerID = 0, HostID = 200000, Size = 1000 }];
        Assert.Null(Plan(spec).Find("uidmap"));
        Assert.Null(Plan(spec).Find("gidmap"));

        spec.Linux.Namespaces.Add(new LinuxNamespace { Type = "user" });
        var plan = Plan(spec);
        Assert.Equal(["0 100000 65536\n65536 1000 1\n"], F(plan.Find("uidmap")));
        Assert.Equal(["0 200000 1000\n"], F(plan.Find("gidmap")));
        Assert.True(IndexOf(plan, "uidmap") < IndexOf(plan, "gidmap"));

        spec.Linux.Namespaces[^1].Path = "/proc/9/ns/user"; // joined: the owner already mapped it
        Assert.Null(Plan(spec).Find("uidmap"));
    }

    // --- devices -----------------------------------------------------------------

    private static readonly string[][] DefaultMknods =
    [
        ["dev/null", "c", "1", "3", "438", "0", "0"],
        ["dev/zero", "c", "1", "5", "438", "0", "0"],
        ["dev/full", "c", "1", "7", "438", "0", "0"],
        ["dev/random", "c", "1", "8", "438", "0", "0"],
        ["dev/urandom", "c", "1", "9", "438", "0", "0"],
        ["dev/tty", "c", "5", "0", "438", "0", "0"],
    ];

    [Fact]
    public void DefaultDevicesAreMknods()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Equal(DefaultMknods, plan.All("mknod").Select(r => r.Fields.ToArray()));
        Assert.DoesNotContain(plan.All("mount"), r => r.Fields[1].StartsWith("dev/", StringComparison.Ordinal) && r.Fields[6] == "file");
    }

    [Fact]
    public void UserNamespaceBindsDevicesInsteadOfMknod()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.Namespaces.Add(new LinuxNamespace { Type = "user" });
        spec.Linux.Devices.Add(new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 });
        var plan = Plan(spec);

        Assert.Empty(plan.All("mknod"));
        var binds = plan.All("mount").Where(r => r.Fields[6] == "file").Select(r => r.Fields.ToArray()).ToList();
        Assert.Equal(
            ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/fuse"],
            binds.Select(f => f[0]));
        Assert.All(binds, f =>
        {
            Assert.Equal(f[0].TrimStart('/'), f[1]);
            Assert.Equal("", f[2]);
            Assert.Equal(N(MS_BIND), f[3]);
            Assert.Equal("", f[4]);
            Assert.Equal("0", f[5]);
        });
    }

    [Fact]
    public void JoinedUserNamespaceAlsoBindsDevices()
    {
        // mknod is refused in any non-initial user namespace, joined or new.
        var spec = DefaultSpec.Create();
        spec.Linux!.Namespaces.Add(new LinuxNamespace { Type = "user", Path = "/proc/9/ns/user" });
        var plan = Plan(spec);
        Assert.Empty(plan.All("mknod"));
        Assert.Equal(6, plan.All("mount").Count(r => r.Fields[6] == "file" && r.Fields[0].StartsWith("/dev/", StringComparison.Ordinal)));
    }

    [Fact]
    public void SpecDevicesOverrideDefaultsWithTheSamePath()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.Devices =
        [
            new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 },
            new LinuxDevice { Path = "/dev/null", Type = "c", Major = 1, Minor = 3, FileMode = 0x180, Uid = 1000, Gid = 100 },
            new LinuxDevice { Path = "/dev/sda", Type = "b", Major = 8, Minor = 0, FileMode = 0x1b0 },
        ];
        var mknods = Plan(spec).All("mknod").Select(r => r.Fields.ToArray()).ToList();

        Assert.Equal(
            ["dev/null", "dev/zero", "dev/full", "dev/random", "dev/urandom", "dev/tty", "dev/fuse", "dev/sda"],
            mknods.Select(f => f[0]));
        Assert.Equal(["dev/null", "c", "1", "3", "384", "1000", "100"], mknods[0]);
        Assert.Equal(["dev/fuse", "c", "10", "229", "438", "0", "0"], mknods[6]);
        Assert.Equal(["dev/sda", "b", "8", "0", "432", "0", "0"], mknods[7]);
    }

    [Fact]
    public void DevSymlinksFollowTheDevices()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Equal(
            [
                ["/proc/self/fd", "dev/fd"], ["/proc/self/fd/0", "dev/stdin"], ["/proc/self/fd/1", "dev/stdout"],
                ["/proc/self/fd/2", "dev/stderr"], ["pts/ptmx", "dev/ptmx"],
            ],
            plan.All("symlink").Select(r => r.Fields.ToArray()));
        Assert.True(LastIndexOf(plan, "mknod") < IndexOf(plan, "symlink"));

        var noPts = DefaultSpec.Create();
        noPts.Mounts.RemoveAll(m => m.Destination == "/dev/pts");
        Assert.DoesNotContain(Plan(noPts).All("symlink"), r => r.Fields[1] == "dev/ptmx");
    }

    // --- mounts ------------------------------------------------------------------

    [Fact]
    public void DefaultMountsCarryTheirFlagsAndData()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Equal(["proc", "proc", "proc", N(MS_NOSUID | MS_NOEXEC | MS_NODEV), "", "0", "dir"], F(MountAt(plan, "proc")));
        Assert.Equal(["tmpfs", "dev", "tmpfs", N(MS_NOSUID | MS_STRICTATIME), "mode=755,size=65536k", "0", "dir"], F(MountAt(plan, "dev")));
        Assert.Equal(["devpts", "dev/pts", "devpts", N(MS_NOSUID | MS_NOEXEC), "newinstance,ptmxmode=0666,mode=0620,gid=5", "0", "dir"], F(MountAt(plan, "dev/pts")));
        Assert.Equal(["shm", "dev/shm", "tmpfs", N(MS_NOSUID | MS_NOEXEC | MS_NODEV), "mode=1777,size=65536k", "0", "dir"], F(MountAt(plan, "dev/shm")));
        Assert.Equal(["mqueue", "dev/mqueue", "mqueue", N(MS_NOSUID | MS_NOEXEC | MS_NODEV), "", "0", "dir"], F(MountAt(plan, "dev/mqueue")));
        Assert.Equal(["sysfs", "sys", "sysfs", N(MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV), "", "0", "dir"], F(MountAt(plan, "sys")));
        Assert.Equal("15", MountAt(plan, "sys").Fields[3]);
    }

    [Fact]
    public void MountsKeepSpecOrderBeforeDevices()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Equal(["proc", "dev", "dev/pts", "dev/shm", "dev/mqueue", "sys", "sys/fs/cgroup"], plan.All("mount").Select(r => r.Fields[1]));
        Assert.True(IndexOf(plan, "rootprop") < IndexOf(plan, "mount"));
        Assert.True(LastIndexOf(plan, "mount") < IndexOf(plan, "mknod"));
    }

    [Fact]
    public void BindMountsGetMsBindAndTheSourceKind()
    {
        using var tmp = new TempDirectory();
        var file = tmp.WriteFile("resolv.conf", "nameserver 1.1.1.1\n");
        var dir = tmp.CreateDirectory("data");
        var spec = DefaultSpec.Create();
        spec.Mounts.Add(new Mount { Destination = "/etc/resolv.conf", Type = "bind", Source = file, Options = ["rbind", "ro", "rprivate"] });
        spec.Mounts.Add(new Mount { Destination = "/data", Source = dir, Options = ["bind", "nosuid"] });
        spec.Mounts.Add(new Mount { Destination = "/srv", Type = "none", Source = dir, Options = ["rbind", "rslave"] });
        spec.Mounts.Add(new Mount { Destination = "/mnt", Type = "bind", Source = dir, Options = [] });
        var plan = Plan(spec);

        Assert.Equal([file, "etc/resolv.conf", "", N(MS_BIND | MS_REC | MS_RDONLY), "", N(MS_PRIVATE | MS_REC), "file"], F(MountAt(plan, "etc/resolv.conf")));
        Assert.Equal([dir, "data", "", N(MS_BIND | MS_NOSUID), "", "0", "dir"], F(MountAt(plan, "data")));
        Assert.Equal([dir, "srv", "none", N(MS_BIND | MS_REC), "", N(MS_SLAVE | MS_REC), "dir"], F(MountAt(plan, "srv")));
        Assert.Equal([dir, "mnt", "", N(MS_BIND), "", "0", "dir"], F(MountAt(plan, "mnt")));
    }

    [Fact]
    public void CgroupMountExpandsPerHierarchyWithACgroupNamespace()
    {
        var plan = Plan(DefaultSpec.Create(), Ctx(cgroups: V1));
        var baseFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME;
        var cgroupMounts = plan.All("mount").Where(r => r.Fields[1].StartsWith("sys/fs/cgroup", StringComparison.Ordinal)).Select(r => r.Fields.ToArray());
        Assert.Equal(
            [
                ["tmpfs", "sys/fs/cgroup", "tmpfs", N(baseFlags), "mode=755", "0", "dir"],
                ["cgroup", "sys/fs/cgroup/memory", "cgroup", N(baseFlags | MS_RDONLY), "memory", "0", "dir"],
                ["cgroup", "sys/fs/cgroup/cpu,cpuacct", "cgroup", N(baseFlags | MS_RDONLY), "cpu,cpuacct", "0", "dir"],
                ["cgroup", "sys/fs/cgroup/systemd", "cgroup", N(baseFlags | MS_RDONLY), "none,name=systemd", "0", "dir"],
                ["tmpfs", "sys/fs/cgroup", "tmpfs", N(baseFlags | MS_REMOUNT | MS_RDONLY), "mode=755", "0", "dir"],
            ],
            cgroupMounts);
    }

    [Fact]
    public void CgroupMountWithoutReadOnlyIsWritableButAlwaysNosuidNodevNoexec()
    {
        var spec = DefaultSpec.Create();
        spec.Mounts.Single(m => m.Type == "cgroup").Options = ["rw"];
        var plan = Plan(spec, Ctx(cgroups: V1));
        Assert.Equal(N(MS_NOSUID | MS_NODEV | MS_NOEXEC), MountAt(plan, "sys/fs/cgroup/memory").Fields[3]);
    }

    [Fact]
    public void SingleCgroup2HierarchyIsOneMount()
    {
        var plan = Plan(DefaultSpec.Create(), Ctx(cgroups: V2));
        Assert.Equal(
            [["cgroup2", "sys/fs/cgroup", "cgroup2", N(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY), "", "0", "dir"]],
            plan.All("mount").Where(r => r.Fields[1].StartsWith("sys/fs/cgroup", StringComparison.Ordinal)).Select(r => r.Fields.ToArray()));
    }

    [Theory]
    [InlineData("cgroup")]
    [InlineData("cgroup2")]
    public void CgroupMountVanishesWithoutACgroupNamespace(string type)
    {
        var spec = DefaultSpec.Create();
        spec.Mounts.Single(m => m.Type == "cgroup").Type = type;
        spec.Linux!.Namespaces.RemoveAll(n => n.Type == "cgroup");
        foreach (var ctx in new[] { Ctx(cgroups: V1), Ctx(cgroups: V2) })
        {
            var plan = Plan(spec, ctx);
            Assert.DoesNotContain(plan.All("mount"), r => r.Fields[1].StartsWith("sys/fs/cgroup", StringComparison.Ordinal));
            Assert.Equal(6, plan.All("mount").Count());
        }
    }

    [Fact]
    public void RootPropagationDefaultsToRslave()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Equal([N(MS_SLAVE | MS_REC)], F(plan.Find("rootprop")));
        Assert.Null(plan.Find("rootpropfinal"));
    }

    [Theory]
    [InlineData("shared", MS_SLAVE | MS_REC, MS_SHARED)] // set up as a slave: pivot_root refuses a shared parent
    [InlineData("rshared", MS_SLAVE | MS_REC, MS_SHARED | MS_REC)]
    [InlineData("private", MS_PRIVATE | MS_REC, MS_PRIVATE)]
    [InlineData("rprivate", MS_PRIVATE | MS_REC, MS_PRIVATE | MS_REC)]
    [InlineData("slave", MS_SLAVE | MS_REC, MS_SLAVE)]
    public void RootPropagationFromTheSpec(string value, ulong first, ulong final)
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.RootfsPropagation = value;
        var plan = Plan(spec);
        Assert.Equal([N(first)], F(plan.Find("rootprop")));
        Assert.Equal([N(final)], F(plan.Find("rootpropfinal")));
        Assert.True(IndexOf(plan, "rootpropfinal") > LastIndexOf(plan, "ro"));
    }

    [Fact]
    public void MaskedAndReadonlyPathsInSpecOrder()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Equal(DefaultSpec.MaskedPaths, plan.All("mask").Select(r => Assert.Single(r.Fields)));
        Assert.Equal(DefaultSpec.ReadonlyPaths, plan.All("ro").Select(r => Assert.Single(r.Fields)));
        Assert.Contains("/proc/kcore", DefaultSpec.MaskedPaths);
        Assert.Contains("/proc/sys", DefaultSpec.ReadonlyPaths);
        Assert.True(LastIndexOf(plan, "symlink") < IndexOf(plan, "mask"));
    }

    [Fact]
    public void RootReadonlyOnlyWhenAsked()
    {
        var spec = DefaultSpec.Create();
        Assert.Null(Plan(spec).Find("rootro"));
        spec.Root!.Readonly = true;
        var plan = Plan(spec);
        Assert.Empty(F(plan.Find("rootro")));
        Assert.True(IndexOf(plan, "rootro") > LastIndexOf(plan, "ro"));
    }

    [Fact]
    public void RootfsRecordIsTheHostPathFromTheContext()
    {
        var plan = Plan(DefaultSpec.Create("relative-in-spec"));
        Assert.Equal([Rootfs], F(plan.Find("rootfs")));
    }

    [Fact]
    public void OverlayRecordFromTheAnnotationsFollowsRootfs()
    {
        var spec = DefaultSpec.Create();
        Assert.Null(Plan(spec).Find("overlay"));
        spec.Annotations[InitPlanner.OverlayLowerAnnotation] = "/layers/2:/layers/1";
        spec.Annotations[InitPlanner.OverlayUpperAnnotation] = "/c1/upper";
        spec.Annotations[InitPlanner.OverlayWorkAnnotation] = "/c1/work";
        var plan = Plan(spec);
        Assert.Equal(["/layers/2:/layers/1", "/c1/upper", "/c1/work"], F(plan.Find("overlay")));
        Assert.Equal(IndexOf(plan, "rootfs") + 1, IndexOf(plan, "overlay"));
    }

    // --- hostname, network, sysctl --------------------------------------------------

    [Fact]
    public void HostnameAndDomainnameOnlyWithUts()
    {
        var spec = DefaultSpec.Create(hostname: "web");
        spec.Domainname = "example.org";
        var plan = Plan(spec);
        Assert.Equal(["web"], F(plan.Find("hostname")));
        Assert.Equal(["example.org"], F(plan.Find("domainname")));

        spec.Linux!.Namespaces.RemoveAll(n => n.Type == "uts");
        plan = Plan(spec);
        Assert.Null(plan.Find("hostname"));
        Assert.Null(plan.Find("domainname"));

        var empty = DefaultSpec.Create(hostname: "");
        Assert.Null(Plan(empty).Find("hostname"));
    }

    [Fact]
    public void LoopbackOnlyWithANewNetworkNamespace()
    {
        var spec = DefaultSpec.Create();
        Assert.Empty(F(Plan(spec).Find("loup")));
        spec.Linux!.Namespaces.RemoveAll(n => n.Type == "network");
        Assert.Null(Plan(spec).Find("loup"));
    }

    [Fact]
    public void SysctlKeysBecomeProcSysPaths()
    {
        var spec = DefaultSpec.Create();
        spec.Linux!.Sysctl["net.ipv4.ip_forward"] = "1";
        spec.Linux.Sysctl["kernel.shmmax"] = "68719476736";
        var plan = Plan(spec);
        Assert.Equal(
            [["/proc/sys/net/ipv4/ip_forward", "1"], ["/proc/sys/kernel/shmmax", "68719476736"]],
            plan.All("sysctl").Select(r => r.Fields.ToArray()));
    }

    // --- the process -------------------------------------------------------------

    [Fact]
    public void RlimitsUseKernelNumbers()
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Rlimits =
        [
            new Rlimit { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = 4096 },
            new Rlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = ulong.MaxValue },
            new Rlimit { Type = "RLIMIT_NPROC", Soft = 100, Hard = 200 },
            new Rlimit { Type = "RLIMIT_RTTIME", Soft = 1, Hard = 2 },
        ];
        Assert.Equal(
            [["7", "1024", "4096"], ["4", "0", "18446744073709551615"], ["6", "100", "200"], ["15", "1", "2"]],
            Plan(spec).All("rlimit").Select(r => r.Fields.ToArray()));
    }

    [Fact]
    public void CapabilitiesBecomeMasks()
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Capabilities = new Capabilities
        {
            Bounding = ["CAP_CHOWN", "CAP_NET_RAW", "CAP_KILL"],
            Effective = ["CAP_CHOWN"],
            Permitted = ["CAP_CHOWN", "CAP_NET_RAW"],
            Inheritable = [],
            Ambient = ["CAP_NET_RAW"],
        };
        var caps = F(Plan(spec, Ctx(lastCap: 37)).Find("caps"));
        Assert.Equal([N(1 | 1 << 13 | 1 << 5), "1", N(1 | 1 << 13), "0", N(1 << 13), "37"], caps);
    }

    [Fact]
    public void DockerDefaultCapabilitiesMask()
    {
        var caps = F(Plan(DefaultSpec.Create()).Find("caps"));
        var expected = N(CapabilitySet.ToMask(CapabilitySet.DockerDefault, "x"));
        Assert.Equal([expected, expected, expected, "0", "0", "40"], caps);
        Assert.Equal(CapabilitySet.DockerDefault.Order(), CapabilitySet.FromMask(ulong.Parse(caps[0], CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public void NoCapabilitiesNoRecord()
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Capabilities = null;
        Assert.Null(Plan(spec).Find("caps"));
    }

    [Fact]
    public void ProcessRecordsInOrder()
    {
        var spec = DefaultSpec.Create(args: ["/bin/app", "--flag", "two words"]);
        var p = spec.Process!;
        p.User = new User { Uid = 1000, Gid = 100, AdditionalGids = [10, 20], Umask = 0x12 };
        p.Cwd = "/work";
        p.Env = ["PATH=/bin", "B=2", "A=1"];
        p.NoNewPrivileges = true;
        p.OomScoreAdj = -500;
        var plan = Plan(spec, Ctx(seccomp: "/run/cc/seccomp.bpf", seccompFlags: 2, seccompOffset: 4));

        Assert.Equal(["1000", "100", "10,20"], F(plan.Find("user")));
        Assert.Equal(["18"], F(plan.Find("umask")));
        Assert.Equal(["/work"], F(plan.Find("cwd")));
        Assert.Equal(["-500"], F(plan.Find("oom")));
        Assert.Empty(F(plan.Find("nnp")));
        Assert.Equal(["2", "/run/cc/seccomp.bpf", "4"], F(plan.Find("seccomp")));
        Assert.Equal(["PATH=/bin", "B=2", "A=1"], plan.All("env").Select(r => Assert.Single(r.Fields)));
        Assert.Equal(["/bin/app", "--flag", "two words"], plan.All("arg").Select(r => Assert.Single(r.Fields)));

        var ops = plan.Records.Select(r => r.Op).SkipWhile(op => op != "oom").ToList();
        Assert.Equal(
            ["oom", "nnp", "seccomp", "user", "caps", "umask", "cwd", "env", "env", "env", "arg", "arg", "arg"],
            ops);
    }

    [Fact]
    public void NoUmaskNoOomNoSeccompNoRecords()
    {
        var plan = Plan(DefaultSpec.Create());
        Assert.Null(plan.Find("umask"));
        Assert.Null(plan.Find("oom"));
        Assert.Null(plan.Find("nnp"));
        Assert.Null(plan.Find("seccomp"));
        Assert.Equal(["0", "0", ""], F(plan.Find("user")));
    }

    // --- context: fifo, wait, detach, console ----------------------------------------------

    [Fact]
    public void DefaultPlanHasTheExpectedShape()
    {
        var plan = Plan(DefaultSpec.Create(), Ctx(fifo: "/run/cc/c1/exec.fifo"));
        string[] expected =
        [
            "clone", "cgroupns", "rootfs", "rootprop",
            .. Enumerable.Repeat("mount", 7), .. Enumerable.Repeat("mknod", 6), .. Enumerable.Repeat("symlink", 5),
            .. Enumerable.Repeat("mask", DefaultSpec.MaskedPaths.Count), .. Enumerable.Repeat("ro", DefaultSpec.ReadonlyPaths.Count),
            "hostname", "loup", "user", "caps", "cwd", "env", "env", "arg", "fifo",
        ];
        Assert.Equal(expected, plan.Records.Select(r => r.Op));
    }

    [Fact]
    public void FifoThenWaitEndTheContainerPlan()
    {
        var plan = Plan(DefaultSpec.Create(), Ctx(fifo: "/run/cc/c1/exec.fifo", wait: true, detach: true));
        Assert.Equal(["/run/cc/c1/exec.fifo"], F(plan.Records[^2]));
        Assert.Equal("fifo", plan.Records[^2].Op);
        Assert.Equal("wait", plan.Records[^1].Op);
        Assert.Null(plan.Find("detach")); // detach is an exec option

        var foreground = Plan(DefaultSpec.Create(), Ctx(wait: true));
        Assert.Null(foreground.Find("fifo"));
        Assert.Equal("wait", foreground.Records[^1].Op);
        Assert.Null(Plan(DefaultSpec.Create()).Find("wait"));
    }

    [Fact]
    public void ExecPlanEndsWithWaitThenDetachAndHasNoFifo()
    {
        var process = new Process { Args = ["sh"], Cwd = "/", Env = ["A=1"] };
        var plan = InitPlanner.ForExec(process, 1, ["pid"], Ctx(fifo: "/run/x.fifo", wait: true, detach: true));
        Assert.Equal(["wait", "detach"], plan.Records.TakeLast(2).Select(r => r.Op));
        Assert.Null(plan.Find("fifo"));

        var attached = InitPlanner.ForExec(process, 1, ["pid"], Ctx(wait: true));
        Assert.Null(attached.Find("detach"));
        Assert.Equal("wait", attached.Records[^1].Op);
    }

    [Fact]
    public void ConsoleSocketAndSize()
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Terminal = true;
        spec.Process.ConsoleSize = new ConsoleSize { Height = 24, Width = 80 };
        Assert.Null(Plan(spec).Find("consolesock"));
        Assert.Null(Plan(spec).Find("consolesize"));

        var plan = Plan(spec, Ctx(console: "/tmp/console.sock"));
        Assert.Equal(["/tmp/console.sock"], F(plan.Find("consolesock")));
        Assert.Equal(["24", "80"], F(plan.Find("consolesize")));
        Assert.Equal(IndexOf(plan, "consolesock") + 1, IndexOf(plan, "consolesize"));

        spec.Process.ConsoleSize = null;
        plan = Plan(spec, Ctx(console: "/tmp/console.sock"));
        Assert.NotNull(plan.Find("consolesock"));
        Assert.Null(plan.Find("consolesize"));

        var exec = InitPlanner.ForExec(new Process { Args = ["sh"] }, 5, [], Ctx(console: "/tmp/exec.sock"));
        Assert.Equal(["/tmp/exec.sock"], F(exec.Find("consolesock")));
    }

    // --- invalid input ------------------------------------------------------------

    [Fact]
    public void FieldWithNulIsRejected()
    {
        var spec = DefaultSpec.Create();
        spec.Process!.Env.Add("EVIL=a\0b");
        var e = Assert.Throws<SpecValidationException>(() => Plan(spec));
        Assert.Equal("env: value contains a NUL byte", e.Message);

        var spec2 = DefaultSpec.Create();
        spec2.Mounts[0].Destination = "/pr\0c";
        Assert.Throws<SpecValidationException>(() => Plan(spec2));

        var plan = new InitPlan();
        Assert.Throws<SpecValidationException>(() => plan.Add("arg", "ok", "\0"));
        Assert.Empty(plan.Records); // nothing half-added
    }

    [Fact]
    public void MissingProcessIsRejected()
    {
        var spec = DefaultSpec.Create();
        spec.Process = null;
        Assert.Equal("process: missing", Assert.Throws<SpecValidationException>(() => Plan(spec)).Message);
    }

    [Fact]
    public void SpecWithoutLinuxSectionCreatesNoNamespaces()
    {
        var spec = DefaultSpec.Create();
        spec.Linux = null;
        var plan = Plan(spec);
        Assert.Equal(["0"], F(plan.Find("clone")));
        Assert.Null(plan.Find("hostname"));
        Assert.Null(plan.Find("loup"));
        Assert.Null(plan.Find("cgroupns"));
        Assert.Equal(6, plan.All("mknod").Count());
    }
}
