using System.Runtime.InteropServices;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Security;

public partial class DefaultSeccompProfileTests
{
    private static readonly uint Native = LibSeccomp.ArchNative();
    private static readonly uint Deny = SeccompBpf.RetErrno(1);
    private static bool IsX64 => RuntimeInformation.OSArchitecture == Architecture.X64;

    private static byte[] Compile(params string[] extraCaps) =>
        SeccompCompiler.Compile(DefaultSeccompProfile.For([.. CapabilitySet.DockerDefault, .. extraCaps])).Program;

    private static uint Run(byte[] program, string syscall, params ulong[] args)
    {
        var nr = LibSeccomp.SyscallResolveName(syscall);
        Assert.True(nr >= 0, $"{syscall} is not a native syscall");
        return SeccompBpf.Run(program, Native, nr, args);
    }

    // Everything a shell, busybox or a libc program needs to start and work.
    public static TheoryData<string> EverydaySyscalls() =>
    [
        "read", "write", "openat", "open", "close", "execve", "execveat", "fork", "vfork", "wait4", "waitid",
        "exit", "exit_group", "brk", "mmap", "munmap", "mprotect", "rt_sigaction", "rt_sigprocmask",
        "rt_sigreturn", "getpid", "getppid", "gettid", "kill", "tgkill", "futex", "set_tid_address",
        "set_robust_list", "rseq", "prlimit64", "newfstatat", "statx", "fstat", "lseek", "getdents64",
        "ioctl", "fcntl", "dup2", "dup3", "pipe2", "poll", "ppoll", "select", "pselect6", "epoll_wait",
        "nanosleep", "clock_gettime", "clock_nanosleep", "getrandom", "uname", "getcwd", "chdir", "mkdir",
        "unlink", "rename", "chmod", "chown", "fchownat", "setuid", "setgid", "setgroups", "capget", "capset",
        "prctl", "connect", "bind", "listen", "accept4", "sendto", "recvfrom", "socketpair", "setsockopt",
        "mknod", "ptrace", "process_vm_readv", "arch_prctl", "sched_yield", "sysinfo", "umask", "sync",
        "chroot", "name_to_handle_at", "seccomp", "memfd_create", "pidfd_open",
    ];

    [Theory]
    [MemberData(nameof(EverydaySyscalls))]
    public void DefaultCapsAllowEverydaySyscalls(string syscall)
    {
        if (!IsX64 && syscall is "open" or "fork" or "vfork" or "arch_prctl" or "select" or "rename" or "chmod" or "chown" or "mkdir" or "unlink" or "mknod" or "poll" or "dup2" or "epoll_wait")
            return;
        Assert.Equal(SeccompBpf.RetAllow, Run(Compile(), syscall));
    }

    // Denied with EPERM for a container with Docker's default capabilities.
    public static TheoryData<string> PrivilegedSyscalls() =>
    [
        "unshare", "mount", "umount2", "setns", "pivot_root", "keyctl", "add_key", "request_key", "reboot",
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
        "perf_event_open", "clock_settime", "settimeofday", "acct", "swapon", "swapoff", "syslog",
        "open_by_handle_at", "userfaultfd", "iopl", "ioperm", "kcmp", "pidfd_getfd", "mbind",
        "set_mempolicy", "vhangup", "fsopen", "open_tree", "move_mount", "sethostname", "quotactl",
        "lookup_dcookie", "io_uring_setup", "io_uring_enter", "io_uring_register", "uselib",
    ];

    [Theory]
    [MemberData(nameof(PrivilegedSyscalls))]
    public void DefaultCapsDenyPrivilegedSyscalls(string syscall)
    {
        var nr = LibSeccomp.SyscallResolveName(syscall);
        if (nr < 0)
            return;   // not a syscall on this architecture
        Assert.Equal(Deny, SeccompBpf.Run(Compile(), Native, nr));
    }

    [Theory]
    [InlineData("CAP_SYS_ADMIN", "unshare")]
    [InlineData("CAP_SYS_ADMIN", "mount")]
    [InlineData("CAP_SYS_ADMIN", "umount2")]
    [InlineData("CAP_SYS_ADMIN", "setns")]
    [InlineData("CAP_SYS_ADMIN", "sethostname")]
    [InlineData("CAP_SYS_ADMIN", "bpf")]
    [InlineData("CAP_SYS_ADMIN", "perf_event_open")]
    [InlineData("sys_admin", "unshare")]
    [InlineData("CAP_SYS_BOOT", "reboot")]
    [InlineData("CAP_SYS_MODULE", "init_module")]
    [InlineData("CAP_SYS_MODULE", "finit_module")]
    [InlineData("CAP_SYS_MODULE", "delete_module")]
    [InlineData("CAP_SYS_TIME", "clock_settime")]
    [InlineData("CAP_SYS_TIME", "settimeofday")]
    [InlineData("CAP_SYS_PACCT", "acct")]
    [InlineData("CAP_SYS_PTRACE", "kcmp")]
    [InlineData("CAP_SYS_PTRACE", "pidfd_getfd")]
    [InlineData("CAP_SYS_NICE", "mbind")]
    [InlineData("CAP_SYS_NICE", "set_mempolicy")]
    [InlineData("CAP_SYSLOG", "syslog")]
    [InlineData("CAP_BPF", "bpf")]
    [InlineData("CAP_PERFMON", "perf_event_open")]
    [InlineData("CAP_DAC_READ_SEARCH", "open_by_handle_at")]
    [InlineData("CAP_SYS_TTY_CONFIG", "vhangup")]
    public void CapabilityOpensItsSyscalls(string cap, string syscall)
    {
        Assert.Equal(Deny, Run(Compile(), syscall));
        Assert.Equal(SeccompBpf.RetAllow, Run(Compile(cap), syscall));
    }

    [Fact]
    public void EveryCapabilityTogetherCompiles()
    {
        // Overlapping grants (syslog, bpf, ptrace, ...) must merge, not conflict.
        var p = SeccompCompiler.Compile(DefaultSeccompProfile.For(CapabilitySet.All)).Program;
        foreach (var syscall in new[] { "unshare", "mount", "syslog", "bpf", "perf_event_open", "ptrace", "reboot", "clone3" })
            Assert.Equal(SeccompBpf.RetAllow, Run(p, syscall));
        Assert.Equal(SeccompBpf.RetAllow, Run(p, "clone", 0x10000000 | 17));
        // Never allowed, whatever the capabilities.
        foreach (var syscall in new[] { "keyctl", "add_key", "kexec_load", "swapon", "userfaultfd", "io_uring_setup", "pivot_root" })
            Assert.Equal(Deny, Run(p, syscall));
    }

    // Docker's profile has no rule for pivot_root at all: CAP_SYS_ADMIN does not open it.
    [Fact]
    public void PivotRootStaysDeniedEvenWithSysAdmin()
    {
        Assert.Equal(Deny, Run(Compile(), "pivot_root"));
        Assert.Equal(Deny, Run(Compile("CAP_SYS_ADMIN"), "pivot_root"));
        Assert.DoesNotContain("pivot_root", Names(DefaultSeccompProfile.For(CapabilitySet.All)));
    }

    private static HashSet<string> Names(LinuxSeccomp profile) =>
        profile.Syscalls.Where(s => s.Action == "SCMP_ACT_ALLOW").SelectMany(s => s.Names).ToHashSet();

    // Syscalls of newer kernels Docker allows unconditionally. Older libseccomp cannot resolve
    // them (the compiler then skips them), so check the profile and, where known, the filter.
    [Theory]
    [InlineData("getxattrat")]
    [InlineData("setxattrat")]
    [InlineData("listxattrat")]
    [InlineData("removexattrat")]
    [InlineData("listmount")]
    [InlineData("statmount")]
    [InlineData("mseal")]
    [InlineData("uretprobe")]
    [InlineData("riscv_hwprobe")]
    [InlineData("cachestat")]
    [InlineData("futex_waitv")]
    [InlineData("map_shadow_stack")]
    public void NewerKernelSyscallsAreAllowed(string syscall)
    {
        Assert.Contains(syscall, Names(DefaultSeccompProfile.For(CapabilitySet.DockerDefault)));
        if (LibSeccomp.SyscallResolveName(syscall) >= 0)
            Assert.Equal(SeccompBpf.RetAllow, Run(Compile(), syscall));
    }

    [Theory]
    [InlineData("lsm_get_self_attr")]
    [InlineData("lsm_set_self_attr")]
    [InlineData("lsm_list_modules")]
    public void LsmSyscallsNeedSysAdmin(string syscall)
    {
        Assert.DoesNotContain(syscall, Names(DefaultSeccompProfile.For(CapabilitySet.DockerDefault)));
        Assert.Contains(syscall, Names(DefaultSeccompProfile.For([.. CapabilitySet.DockerDefault, "CAP_SYS_ADMIN"])));
        if (LibSeccomp.SyscallResolveName(syscall) >= 0)
        {
            Assert.Equal(Deny, Run(Compile(), syscall));
            Assert.Equal(SeccompBpf.RetAllow, Run(Compile("CAP_SYS_ADMIN"), syscall));
        }
    }

    [Fact]
    public void ArchitectureSpecificRulesFollowTheHost()
    {
        var caps = CapabilitySet.DockerDefault;
        var amd64 = Names(DefaultSeccompProfile.For(caps, Architecture.X64));
        Assert.Contains("arch_prctl", amd64);
        Assert.Contains("modify_ldt", amd64);
        Assert.DoesNotContain("set_tls", amd64);
        Assert.DoesNotContain("s390_runtime_instr", amd64);
        Assert.DoesNotContain("riscv_flush_icache", amd64);
        Assert.DoesNotContain("swapcontext", amd64);

        var x86 = Names(DefaultSeccompProfile.For(caps, Architecture.X86));
        Assert.Contains("modify_ldt", x86);
        Assert.DoesNotContain("arch_prctl", x86);

        var arm64 = DefaultSeccompProfile.For(caps, Architecture.Arm64);
        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], arm64.Architectures);
        Assert.DoesNotContain("arch_prctl", Names(arm64));
        Assert.DoesNotContain("modify_ldt", Names(arm64));
        Assert.Contains("set_tls", Names(arm64));
        Assert.Contains("cacheflush", Names(arm64));

        Assert.Contains("swapcontext", Names(DefaultSeccompProfile.For(caps, Architecture.Ppc64le)));
        Assert.Contains("s390_runtime_instr", Names(DefaultSeccompProfile.For(caps, Architecture.S390x)));
        Assert.Contains("riscv_flush_icache", Names(DefaultSeccompProfile.For(caps, Architecture.RiscV64)));
        Assert.Empty(DefaultSeccompProfile.For(caps, Architecture.LoongArch64).Architectures);
    }

    [Fact]
    public void CloneFlagsArgumentFollowsTheArchitecture()
    {
        static SeccompArg CloneArg(Architecture host) =>
            Assert.Single(Assert.Single(DefaultSeccompProfile.For(CapabilitySet.DockerDefault, host).Syscalls, s => s.Names.Contains("clone")).Args);

        var x64 = CloneArg(Architecture.X64);
        Assert.Equal((0u, DefaultSeccompProfile.CloneNamespaceFlags, "SCMP_CMP_MASKED_EQ"), (x64.Index, x64.Value, x64.Op));
        Assert.Equal(0x7E020000UL, DefaultSeccompProfile.CloneNamespaceFlags);
        var s390x = CloneArg(Architecture.S390x);
        Assert.Equal((1u, DefaultSeccompProfile.CloneNamespaceFlags), (s390x.Index, s390x.Value));
    }

    [Fact]
    public void RawIoOpensIoplOnX86()
    {
        if (!IsX64)
            return;
        Assert.Equal(Deny, Run(Compile(), "iopl"));
        Assert.Equal(SeccompBpf.RetAllow, Run(Compile("CAP_SYS_RAWIO"), "ioperm"));
    }

    [Fact]
    public void ChrootNeedsSysChroot()
    {
        var withoutChroot = SeccompCompiler.Compile(DefaultSeccompProfile.For(CapabilitySet.DockerDefault.Where(c => c != "CAP_SYS_CHROOT").ToList())).Program;
        Assert.Equal(Deny, Run(withoutChroot, "chroot"));
        Assert.Equal(SeccompBpf.RetAllow, Run(Compile(), "chroot"));
    }

    [Fact]
    public void NamespaceCreationNeedsSysAdmin()
    {
        const ulong sigchld = 17;
        const ulong threadFlags = 0x3d0f00;   // what pthread_create passes
        var p = Compile();
        Assert.Equal(SeccompBpf.RetAllow, Run(p, "clone", sigchld));
        Assert.Equal(SeccompBpf.RetAllow, Run(p, "clone", threadFlags));
        foreach (var ns in new ulong[] { 0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000 })
            Assert.Equal(Deny, Run(p, "clone", ns | sigchld));
        Assert.Equal(SeccompBpf.RetErrno(38), Run(p, "clone3"));

        var admin = Compile("CAP_SYS_ADMIN");
        Assert.Equal(SeccompBpf.RetAllow, Run(admin, "clone", 0x10000000 | sigchld));
        Assert.Equal(SeccompBpf.RetAllow, Run(admin, "clone3"));
    }

    [Fact]
    public void PersonalityOnlyForKnownPersonas()
    {
        var p = Compile();
        foreach (var persona in new ulong[] { 0, 8, 0x20000, 0x20008, 0xffffffff })
            Assert.Equal(SeccompBpf.RetAllow, Run(p, "personality", persona));
        Assert.Equal(Deny, Run(p, "personality", 0x0400000));   // READ_IMPLIES_EXEC
        Assert.Equal(Deny, Run(p, "personality", 0x0040000));   // ADDR_NO_RANDOMIZE
    }

    [Fact]
    public void SocketFamilies()
    {
        var p = Compile();
        foreach (var family in new ulong[] { 1, 2, 10, 16, 17, 39, 41, 44 })
            Assert.Equal(SeccompBpf.RetAllow, Run(p, "socket", family, 1));
        Assert.Equal(Deny, Run(p, "socket", 38, 5));   // AF_ALG
        Assert.Equal(Deny, Run(p, "socket", 40, 1));   // AF_VSOCK
    }

    [Fact]
    public void UnknownSyscallNumbersGetTheDefault()
    {
        var p = Compile();
        Assert.Equal(Deny, SeccompBpf.Run(p, Native, 999));
        Assert.Equal(Deny, SeccompBpf.Run(p, Native, 100000));
    }

    [Fact]
    public void CompatibilityArchitecturesAreFiltered()
    {
        if (!IsX64)
            return;
        var p = Compile();
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, SeccompBpf.ArchI386, 11));          // execve
        Assert.Equal(Deny, SeccompBpf.Run(p, SeccompBpf.ArchI386, 310));                         // unshare
        Assert.Equal(Deny, SeccompBpf.Run(p, SeccompBpf.ArchI386, 21));                          // mount
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, SeccompBpf.ArchX86_64, SeccompBpf.X32SyscallBit | 520));  // x32 execve (x32 numbers it 520)
        Assert.Equal(Deny, SeccompBpf.Run(p, SeccompBpf.ArchX86_64, SeccompBpf.X32SyscallBit | 272));                // x32 unshare
        Assert.Equal(SeccompBpf.RetKillThread, SeccompBpf.Run(p, SeccompBpf.ArchAarch64, 221));
    }

    [Fact]
    public void ProgramShape()
    {
        var compiled = SeccompCompiler.Compile(DefaultSeccompProfile.For(CapabilitySet.DockerDefault));
        Assert.Equal(0u, compiled.Flags);
        Assert.True(compiled.Program.Length > 0);
        Assert.Equal(0, compiled.Program.Length % 8);
        // The kernel accepts at most BPF_MAXINSNS (4096) instructions per filter.
        Assert.InRange(compiled.InstructionCount, 2, 4096);
        var insns = SeccompBpf.Decode(compiled.Program);
        Assert.Contains(insns, i => i.Code == 0x06 && i.K == Deny);
        Assert.Equal(0x06, insns[^1].Code);
    }

    [Fact]
    public void ProfileShape()
    {
        var profile = DefaultSeccompProfile.For(CapabilitySet.DockerDefault);
        Assert.Equal("SCMP_ACT_ERRNO", profile.DefaultAction);
        Assert.Equal(1u, profile.DefaultErrnoRet);
        if (IsX64)
            Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], profile.Architectures);
        var names = profile.Syscalls.SelectMany(s => s.Names).ToHashSet();
        Assert.Contains("read", names);
        Assert.DoesNotContain("unshare", names);
        Assert.DoesNotContain("keyctl", names);
        Assert.Contains("unshare", DefaultSeccompProfile.For(["CAP_SYS_ADMIN"]).Syscalls.SelectMany(s => s.Names));
    }

    [Fact]
    public void EachCallReturnsAFreshProfile()
    {
        var a = DefaultSeccompProfile.For(CapabilitySet.DockerDefault);
        a.Syscalls.Clear();
        a.Architectures.Clear();
        var b = DefaultSeccompProfile.For(CapabilitySet.DockerDefault);
        Assert.NotEmpty(b.Syscalls);
        Assert.NotEmpty(b.Architectures);
    }

    [Fact]
    public void RoundTripsThroughJson()
    {
        var profile = DefaultSeccompProfile.For(CapabilitySet.DockerDefault);
        var json = System.Text.Json.JsonSerializer.Serialize(profile, RuntimeSpecJson.Default.LinuxSeccomp);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, RuntimeSpecJson.Default.LinuxSeccomp)!;
        Assert.Equal(SeccompCompiler.Compile(profile).Program, SeccompCompiler.Compile(back).Program);
    }

    // ---- Loading the real filter into the kernel --------------------------------------------

    private const int PrSetNoNewPrivs = 38;
    private const int SysSeccomp = 317;          // x86_64
    private const int SysKeyctl = 250;           // x86_64
    private const int SysClone3 = 435;
    private const int SeccompSetModeFilter = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Len;
        public nint Filter;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long arg1, long arg2, long arg3);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpid();

    /// <summary>
    /// Installs the compiled default profile on a dedicated thread (a filter without TSYNC binds only
    /// the calling thread, which then exits) and checks what the kernel really answers. Needs no
    /// root: the thread sets no_new_privs for itself first.
    /// </summary>
    [Fact]
    public unsafe void KernelEnforcesTheCompiledProfile()
    {
        if (!IsX64)
            return;
        var program = SeccompCompiler.Compile(DefaultSeccompProfile.For(CapabilitySet.DockerDefault)).Program;

        // Results: [0] install errno (0 = installed), then rc/errno pairs.
        var results = new long[16];
        var handle = GCHandle.Alloc(program, GCHandleType.Pinned);
        try
        {
            var fprog = new SockFprog { Len = (ushort)(program.Length / 8), Filter = handle.AddrOfPinnedObject() };
            var thread = new Thread(() =>
            {
                // Warm every P/Invoke stub up front so the filtered part runs only already-compiled code.
                _ = getpid();
                results[8] = unshare(0);   // allowed for anyone without the filter
                _ = syscall(SysKeyctl, 0, -3, 0);
                _ = syscall(SysClone3, 0, 0, 0);
                _ = Marshal.GetLastPInvokeError();

                if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0)
                {
                    results[0] = Marshal.GetLastPInvokeError();
                    return;
                }
                var p = fprog;
                if (syscall(SysSeccomp, SeccompSetModeFilter, 0, (long)&p) != 0)
                {
                    results[0] = Marshal.GetLastPInvokeError();
                    return;
                }
                results[1] = unshare(0);
                results[2] = Marshal.GetLastPInvokeError();
                results[3] = syscall(SysKeyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
                results[4] = Marshal.GetLastPInvokeError();
                results[5] = syscall(SysClone3, 0, 0, 0);
                results[6] = Marshal.GetLastPInvokeError();
                results[7] = getpid();
            });
            thread.Start();
            thread.Join();
        }
        finally
        {
            handle.Free();
        }

        // EINVAL/ENOSYS: a kernel without seccomp filters; nothing to check there.
        if (results[0] is 22 or 38)
            return;
        Assert.Equal(0, results[0]);
        Assert.Equal(0, results[8]);
        Assert.Equal((-1L, 1L), (results[1], results[2]));     // unshare -> EPERM
        Assert.Equal((-1L, 1L), (results[3], results[4]));     // keyctl -> EPERM
        Assert.Equal((-1L, 38L), (results[5], results[6]));    // clone3 -> ENOSYS
        Assert.Equal(Environment.ProcessId, results[7]);       // getpid still works
    }
}
