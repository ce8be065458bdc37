using ContainerConsole.Runtime.Security;

namespace ContainerConsole.Runtime.Spec;

/// <summary>
/// The confinement every container gets unless asked otherwise: Docker's defaults
/// (capabilities, seccomp profile, masked and read-only paths, device allow-list)
/// plus a private cgroup namespace on every host, which Docker only does on v2.
/// </summary>
public static class DefaultSpec
{
    public static readonly IReadOnlyList<string> MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    public static readonly IReadOnlyList<string> ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static RuntimeSpec Create(string rootfs = "rootfs", IReadOnlyList<string>? args = null, string hostname = "container")
    {
        var caps = CapabilitySet.DockerDefault.ToList();
        return new RuntimeSpec
        {
            Root = new Root { Path = rootfs },
            Hostname = hostname,
            Process = new Process
            {
                Args = args?.ToList() ?? ["sh"],
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
                Cwd = "/",
                Capabilities = new Capabilities { Bounding = caps, Effective = [.. caps], Permitted = [.. caps] },
            },
            Mounts =
            [
                new Mount { Destination = "/proc", Type = "proc", Source = "proc", Options = ["nosuid", "noexec", "nodev"] },
                new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "strictatime", "mode=755", "size=65536k"] },
                new Mount { Destination = "/dev/pts", Type = "devpts", Source = "devpts", Options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
                new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm", Options = ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
                new Mount { Destination = "/dev/mqueue", Type = "mqueue", Source = "mqueue", Options = ["nosuid", "noexec", "nodev"] },
                new Mount { Destination = "/sys", Type = "sysfs", Source = "sysfs", Options = ["nosuid", "noexec", "nodev", "ro"] },
                new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["nosuid", "noexec", "nodev", "relatime", "ro"] },
            ],
            Linux = new Linux
            {
                Namespaces = new[] { "pid", "network", "ipc", "uts", "mount", "cgroup" }.Select(t => new LinuxNamespace { Type = t }).ToList(),
                MaskedPaths = [.. MaskedPaths],
                ReadonlyPaths = [.. ReadonlyPaths],
                Seccomp = DefaultSeccompProfile.For(caps),
                Resources = new LinuxResources { Devices = DefaultDeviceRules() },
            },
        };
    }

    /// <summary>Docker's default device cgroup: deny all, then the safe character devices.</summary>
    public static List<DeviceCgroupRule> DefaultDeviceRules() =>
    [
        new() { Allow = false, Access = "rwm" },
        new() { Allow = true, Type = "c", Access = "m" },
        new() { Allow = true, Type = "b", Access = "m" },
        Char(1, 3), Char(1, 5), Char(1, 7), Char(1, 8), Char(1, 9), Char(5, 0), Char(5, 1), Char(5, 2),
        new() { Allow = true, Type = "c", Major = 136, Access = "rwm" },
        Char(10, 200),
    ];

    private static DeviceCgroupRule Char(long major, long minor) =>
        new() { Allow = true, Type = "c", Major = major, Minor = minor, Access = "rwm" };
}
