using System.Runtime.InteropServices;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Security;

/// <summary>
/// The seccomp profile a container gets when none is configured: modelled on Docker's default
/// profile (moby profiles/seccomp/default.json) — deny with EPERM by default, allow the syscalls
/// ordinary programs use, and open up the privileged ones only for containers holding the
/// capability that the kernel would check for them anyway.
/// </summary>
public static class DefaultSeccompProfile
{
    private const string Allow = "SCMP_ACT_ALLOW";
    private const string Errno = "SCMP_ACT_ERRNO";
    private const uint Eperm = 1;
    private const uint Enosys = 38;

    // CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
    internal const ulong CloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    private const uint AfAlg = 38;
    private const uint AfVsock = 40;

    /// <summary>
    /// The profile for a container whose bounding set is <paramref name="capabilities"/> (names in
    /// any case, CAP_ prefix optional). Every call returns a fresh, independently mutable object.
    /// </summary>
    public static LinuxSeccomp For(IReadOnlyCollection<string> capabilities) =>
        For(capabilities, RuntimeInformation.OSArchitecture);

    /// <summary>
    /// The profile as built on a host of architecture <paramref name="host"/>: it picks the
    /// architectures list and the architecture-specific rules.
    /// </summary>
    internal static LinuxSeccomp For(IReadOnlyCollection<string> capabilities, Architecture host)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var arch = ArchName(host);
        var caps = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cap in capabilities)
        {
            if (cap is not null && CapabilitySet.Normalize(cap) is { } name)
                caps.Add(name);
        }

        var profile = new LinuxSeccomp
        {
            DefaultAction = Errno,
            DefaultErrnoRet = Eperm,
            Architectures = NativeArchitectures(host),
        };

        foreach (var rule in Rules)
        {
            if (rule.Requires is { } required && !caps.Contains(required))
                continue;
            if (rule.Excludes is { } excluded && caps.Contains(excluded))
                continue;
            if (rule.Arches is { } arches && (arch is null || !arches.Contains(arch)))
                continue;
            if (rule.ExcludeArches is { } notArches && arch is not null && notArches.Contains(arch))
                continue;
            profile.Syscalls.Add(new SeccompSyscall
            {
                Names = [.. rule.Names],
                Action = rule.Action,
                ErrnoRet = rule.ErrnoRet,
                Args = rule.Args.Select(a => new SeccompArg { Index = a.Index, Value = a.Value, ValueTwo = a.ValueTwo, Op = a.Op }).ToList(),
            });
        }
        return profile;
    }

    // Docker lists the native architecture plus the compat ones its kernel can also run, so a
    // 32-bit binary cannot sidestep the filter. Where Docker has no entry (x86, arm, ppc64le,
    // loongarch64) it sends an empty list, which a runtime reads as "native only"; naming the
    // native architecture explicitly, as we do for the first three, filters the same.
    private static List<string> NativeArchitectures(Architecture host) => host switch
    {
        Architecture.X64 => ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        Architecture.X86 => ["SCMP_ARCH_X86"],
        Architecture.Arm64 => ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        Architecture.Arm => ["SCMP_ARCH_ARM"],
        Architecture.RiscV64 => ["SCMP_ARCH_RISCV64"],
        Architecture.S390x => ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
        Architecture.Ppc64le => ["SCMP_ARCH_PPC64LE"],
        _ => [],
    };

    // The host architecture in the spelling Docker's per-architecture rules use (libseccomp's
    // names for Go's GOARCH values). Compat architectures (x32, x86 on amd64) never match here:
    // Docker selects those rules by the daemon's own architecture too.
    private static string? ArchName(Architecture host) => host switch
    {
        Architecture.X64 => "amd64",
        Architecture.X86 => "x86",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.RiscV64 => "riscv64",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.LoongArch64 => "loongarch64",
        _ => null,
    };

    private sealed record Arg(uint Index, ulong Value, ulong ValueTwo, string Op);

    /// <param name="Requires">Rule applies only when the container has this capability.</param>
    /// <param name="Excludes">Rule applies only when the container lacks this capability.</param>
    /// <param name="Arches">Rule applies only on a host of one of these architectures.</param>
    /// <param name="ExcludeArches">Rule applies only on a host of none of these architectures.</param>
    private sealed record Rule(
        string[] Names, string Action = Allow, uint? ErrnoRet = null, Arg[]? ArgList = null,
        string? Requires = null, string? Excludes = null, string[]? Arches = null, string[]? ExcludeArches = null)
    {
        public Arg[] Args => ArgList ?? [];
    }

    private static Rule OnArch(string[] arches, params string[] names) => new(names, Arches: arches);

    private static Rule WithCap(string cap, params string[] names) => new(names, Requires: cap);

    private static Rule Personality(ulong persona) => new(["personality"], ArgList: [new Arg(0, persona, 0, "SCMP_CMP_EQ")]);

    private static Rule Socket(ulong family, string op) => new(["socket"], ArgList: [new Arg(0, family, 0, op)]);

    private static readonly Rule[] Rules =
    [
        new Rule(
        [
            "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
            "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
            "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
            "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
            "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
            "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
            "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
            "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
            "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
            "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
            "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
            "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
            "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
            "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
            "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
            "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
            "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
            "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
            "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
            "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
            "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
            "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
            "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
            "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
            "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
            "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "mseal", "msync", "munlock",
            "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
            "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
            "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
            "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
            "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
            "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename",
            "renameat", "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction",
            "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
            "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
            "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
            "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
            "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
            "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64",
            "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
            "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
            "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
            "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address",
            "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
            "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
            "splice", "stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat",
            "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
            "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
            "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
            "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
            "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
            "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
        ]),

        // Docker allows these from kernel 4.8 on, where ptrace can no longer bypass seccomp; the
        // runtime does not support older kernels.
        new Rule(["process_vm_readv", "process_vm_writev", "ptrace"]),

        // socket(2) for every address family except AF_ALG (CVE-2026-31431) and AF_VSOCK. One rule
        // cannot hold two comparisons of the same argument, hence three ranges. socketcall(2) stays
        // allowed, as in Docker (its block was reverted there for breaking 32-bit x86 programs):
        // seccomp cannot read its arguments, so only an LSM can close AF_ALG on that path.
        Socket(AfAlg, "SCMP_CMP_LT"),
        Socket(AfAlg + 1, "SCMP_CMP_EQ"),
        Socket(AfVsock, "SCMP_CMP_GT"),

        // personality(2) only for PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and the query.
        Personality(0x0),
        Personality(0x8),
        Personality(0x20000),
        Personality(0x20008),
        Personality(0xffffffff),

        // Architecture specifics, chosen by the host's architecture; on an amd64 host they cover
        // its x86 and x32 compat modes too.
        OnArch(["ppc64le"], "sync_file_range2", "swapcontext"),
        OnArch(["arm", "arm64"], "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"),
        OnArch(["amd64", "x32"], "arch_prctl"),
        OnArch(["amd64", "x32", "x86"], "modify_ldt"),
        OnArch(["s390", "s390x"], "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
        OnArch(["riscv64"], "riscv_flush_icache"),

        // Without CAP_SYS_ADMIN, clone may not create namespaces, and clone3 — whose flags live in
        // memory seccomp cannot inspect — reports ENOSYS so libc falls back to clone. s390 passes
        // clone's flags as the second argument.
        new Rule(["clone"], ArgList: [new Arg(0, CloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ")], Excludes: "CAP_SYS_ADMIN", ExcludeArches: ["s390", "s390x"]),
        new Rule(["clone"], ArgList: [new Arg(1, CloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ")], Excludes: "CAP_SYS_ADMIN", Arches: ["s390", "s390x"]),
        new Rule(["clone3"], Errno, Enosys, Excludes: "CAP_SYS_ADMIN"),

        WithCap("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
        WithCap("CAP_SYS_ADMIN",
            "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
            "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
            "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
            "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"),
        WithCap("CAP_SYS_BOOT", "reboot"),
        WithCap("CAP_SYS_CHROOT", "chroot"),
        WithCap("CAP_SYS_MODULE", "delete_module", "init_module", "finit_module"),
        WithCap("CAP_SYS_PACCT", "acct"),
        WithCap("CAP_SYS_PTRACE", "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"),
        WithCap("CAP_SYS_RAWIO", "iopl", "ioperm"),
        WithCap("CAP_SYS_TIME", "settimeofday", "stime", "clock_settime", "clock_settime64"),
        WithCap("CAP_SYS_TTY_CONFIG", "vhangup"),
        WithCap("CAP_SYS_NICE", "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
        WithCap("CAP_SYSLOG", "syslog"),
        WithCap("CAP_BPF", "bpf"),
        WithCap("CAP_PERFMON", "perf_event_open"),
    ];
}
