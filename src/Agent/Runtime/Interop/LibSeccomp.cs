using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Interop;

/// <summary>A libseccomp call returned a negative errno.</summary>
public sealed class LibSeccompException(string function, int errno)
    : Exception($"{function} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    public string Function { get; } = function;
    public int Errno { get; } = errno;
}

/// <summary>A libseccomp filter context (scmp_filter_ctx); released with seccomp_release.</summary>
public sealed class SeccompFilterHandle : SafeHandle
{
    public SeccompFilterHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibSeccomp.Native.seccomp_release(handle);
        return true;
    }
}

/// <summary>One argument comparison (struct scmp_arg_cmp).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ScmpArgCmp
{
    public uint Arg;
    public ScmpCompare Op;
    public ulong DatumA;
    public ulong DatumB;
}

/// <summary>enum scmp_compare.</summary>
public enum ScmpCompare : int
{
    NotEqual = 1,
    LessThan = 2,
    LessOrEqual = 3,
    Equal = 4,
    GreaterOrEqual = 5,
    GreaterThan = 6,
    MaskedEqual = 7,
}

/// <summary>enum scmp_filter_attr.</summary>
public enum ScmpFilterAttr : int
{
    ActDefault = 1,
    ActBadArch = 2,
    CtlNoNewPrivs = 3,
    CtlTsync = 4,
    ApiTskip = 5,
    CtlLog = 6,
    CtlSsb = 7,
    CtlOptimize = 8,
    ApiSysRawRc = 9,
}

/// <summary>
/// Thin wrappers over libseccomp.so.2 (seccomp.h). Every negative return becomes a
/// <see cref="LibSeccompException"/>; the raw entry points stay in <see cref="Native"/>.
/// </summary>
public static partial class LibSeccomp
{
    private const string Library = "libseccomp.so.2";

    // Action values (SCMP_ACT_*).
    public const uint ActKillProcess = 0x80000000;
    public const uint ActKillThread = 0x00000000;
    public const uint ActTrap = 0x00030000;
    public const uint ActNotify = 0x7fc00000;
    public const uint ActLog = 0x7ffc0000;
    public const uint ActAllow = 0x7fff0000;
    public static uint ActErrno(uint errno) => 0x00050000 | (errno & 0xffff);
    public static uint ActTrace(uint msg) => 0x7ff00000 | (msg & 0xffff);

    /// <summary>__NR_SCMP_ERROR: the name is not a syscall libseccomp knows on any architecture.</summary>
    public const int NrScmpError = -1;

    public static SeccompFilterHandle Init(uint defaultAction)
    {
        var ctx = Native.seccomp_init(defaultAction);
        // seccomp_init reports no errno; NULL means a bad action or no memory.
        if (ctx.IsInvalid)
            throw new LibSeccompException("seccomp_init", 22 /* EINVAL */);
        return ctx;
    }

    /// <summary>Adds an architecture; returns false if the filter already has it (-EEXIST).</summary>
    public static bool ArchAdd(SeccompFilterHandle ctx, uint arch)
    {
        var rc = Native.seccomp_arch_add(ctx, arch);
        if (rc == -17 /* EEXIST */)
            return false;
        Check("seccomp_arch_add", rc);
        return true;
    }

    public static void ArchRemove(SeccompFilterHandle ctx, uint arch) =>
        Check("seccomp_arch_remove", Native.seccomp_arch_remove(ctx, arch));

    public static uint ArchNative() => Native.seccomp_arch_native();

    /// <summary>Architecture token for a libseccomp name like "x86_64", or 0 if unknown.</summary>
    public static uint ArchResolveName(string name) => Native.seccomp_arch_resolve_name(name);

    /// <summary>
    /// Syscall number on the native architecture; a negative pseudo number (__PNR_*) for a syscall
    /// that exists only on other architectures; <see cref="NrScmpError"/> if unknown everywhere.
    /// </summary>
    public static int SyscallResolveName(string name) => Native.seccomp_syscall_resolve_name(name);

    /// <summary>Syscall number on <paramref name="arch"/>, or a negative value when it has none.</summary>
    public static int SyscallResolveName(uint arch, string name) => Native.seccomp_syscall_resolve_name_arch(arch, name);

    public static unsafe void RuleAdd(SeccompFilterHandle ctx, uint action, int syscall, ReadOnlySpan<ScmpArgCmp> args)
    {
        fixed (ScmpArgCmp* p = args)
            Check("seccomp_rule_add_array", Native.seccomp_rule_add_array(ctx, action, syscall, (uint)args.Length, p));
    }

    public static void AttrSet(SeccompFilterHandle ctx, ScmpFilterAttr attr, uint value) =>
        Check("seccomp_attr_set", Native.seccomp_attr_set(ctx, attr, value));

    /// <summary>API level of the loaded libseccomp (seccomp_api_get); 0 for very old versions.</summary>
    public static uint ApiLevel() => Native.seccomp_api_get();

    /// <summary>
    /// The filter as a classic-BPF program (struct sock_filter[]). libseccomp only writes to a file
    /// descriptor, so export into an anonymous memfd and read it back.
    /// </summary>
    public static byte[] ExportBpf(SeccompFilterHandle ctx)
    {
        var fd = Native.memfd_create("seccomp-bpf", 1 /* MFD_CLOEXEC */);
        if (fd < 0)
            throw new LibSeccompException("memfd_create", Marshal.GetLastPInvokeError());
        try
        {
            Check("seccomp_export_bpf", Native.seccomp_export_bpf(ctx, fd));
            var size = Native.lseek(fd, 0, 2 /* SEEK_END */);
            if (size < 0)
                throw new LibSeccompException("lseek", Marshal.GetLastPInvokeError());
            var bytes = new byte[size];
            long done = 0;
            while (done < size)
            {
                var n = PRead(fd, bytes.AsSpan((int)done), done);
                if (n == 0)
                    break;
                done += n;
            }
            return done == size ? bytes : bytes[..(int)done];
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static unsafe long PRead(int fd, Span<byte> buffer, long offset)
    {
        while (true)
        {
            long n;
            fixed (byte* p = buffer)
                n = Native.pread(fd, p, (nuint)buffer.Length, offset);
            if (n >= 0)
                return n;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 4 /* EINTR */)
                throw new LibSeccompException("pread", errno);
        }
    }

    private static void Check(string function, int rc)
    {
        if (rc < 0)
            throw new LibSeccompException(function, -rc);
    }

    /// <summary>Raw entry points; libseccomp returns -errno rather than setting errno.</summary>
    internal static unsafe partial class Native
    {
        [LibraryImport(Library)]
        internal static partial SeccompFilterHandle seccomp_init(uint defAction);

        [LibraryImport(Library)]
        internal static partial void seccomp_release(IntPtr ctx);

        [LibraryImport(Library)]
        internal static partial int seccomp_arch_add(SeccompFilterHandle ctx, uint archToken);

        [LibraryImport(Library)]
        internal static partial int seccomp_arch_remove(SeccompFilterHandle ctx, uint archToken);

        [LibraryImport(Library)]
        internal static partial uint seccomp_arch_native();

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint seccomp_arch_resolve_name(string archName);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int seccomp_syscall_resolve_name(string name);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int seccomp_syscall_resolve_name_arch(uint archToken, string name);

        [LibraryImport(Library)]
        internal static partial int seccomp_rule_add_array(SeccompFilterHandle ctx, uint action, int syscall, uint argCnt, ScmpArgCmp* argArray);

        [LibraryImport(Library)]
        internal static partial int seccomp_attr_set(SeccompFilterHandle ctx, ScmpFilterAttr attr, uint value);

        [LibraryImport(Library)]
        internal static partial uint seccomp_api_get();

        [LibraryImport(Library)]
        internal static partial int seccomp_export_bpf(SeccompFilterHandle ctx, int fd);

        [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int memfd_create(string name, uint flags);

        [LibraryImport("libc.so.6", SetLastError = true)]
        internal static partial long lseek(int fd, long offset, int whence);

        [LibraryImport("libc.so.6", SetLastError = true)]
        internal static partial long pread(int fd, byte* buf, nuint count, long offset);

        [LibraryImport("libc.so.6")]
        internal static partial int close(int fd);
    }
}
