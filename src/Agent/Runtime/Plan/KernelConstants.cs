namespace ContainerConsole.Runtime.Plan;

/// <summary>Kernel ABI numbers (x86_64) the plan carries as decimal fields.</summary>
public static class KernelConstants
{
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16, MS_REMOUNT = 32,
        MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048, MS_BIND = 4096, MS_REC = 16384,
        MS_SILENT = 32768, MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
        MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24;

    public const ulong CLONE_NEWTIME = 0x80, CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
        CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    public static readonly IReadOnlyDictionary<string, ulong> NamespaceFlags = new Dictionary<string, ulong>
    {
        ["pid"] = CLONE_NEWPID, ["network"] = CLONE_NEWNET, ["mount"] = CLONE_NEWNS, ["ipc"] = CLONE_NEWIPC,
        ["uts"] = CLONE_NEWUTS, ["user"] = CLONE_NEWUSER, ["cgroup"] = CLONE_NEWCGROUP, ["time"] = CLONE_NEWTIME,
    };

    /// <summary>/proc/PID/ns file names per OCI namespace type.</summary>
    public static readonly IReadOnlyDictionary<string, string> NamespaceFiles = new Dictionary<string, string>
    {
        ["pid"] = "pid", ["network"] = "net", ["mount"] = "mnt", ["ipc"] = "ipc", ["uts"] = "uts", ["user"] = "user",
        ["cgroup"] = "cgroup", ["time"] = "time",
    };

    public static readonly IReadOnlyDictionary<string, int> Rlimits = new Dictionary<string, int>
    {
        ["RLIMIT_CPU"] = 0, ["RLIMIT_FSIZE"] = 1, ["RLIMIT_DATA"] = 2, ["RLIMIT_STACK"] = 3, ["RLIMIT_CORE"] = 4,
        ["RLIMIT_RSS"] = 5, ["RLIMIT_NPROC"] = 6, ["RLIMIT_NOFILE"] = 7, ["RLIMIT_MEMLOCK"] = 8, ["RLIMIT_AS"] = 9,
        ["RLIMIT_LOCKS"] = 10, ["RLIMIT_SIGPENDING"] = 11, ["RLIMIT_MSGQUEUE"] = 12, ["RLIMIT_NICE"] = 13,
        ["RLIMIT_RTPRIO"] = 14, ["RLIMIT_RTTIME"] = 15,
    };
}
