using System.Runtime.InteropServices;
using System.Text;
using ContainerConsole.Runtime.Interop;
using Microsoft.Win32.SafeHandles;

namespace ContainerConsole.Agent.Engine;

/// <summary>The metadata of one file, from fstatat without following a final symlink.</summary>
public readonly record struct FileStat(uint Mode, long Size, uint Uid, uint Gid, ulong Dev, ulong Ino, ulong Nlink, ulong Rdev, DateTimeOffset Mtime)
{
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFIFO = 0x1000, S_IFSOCK = 0xC000;

    public uint Type => Mode & S_IFMT;
    public bool IsDir => Type == S_IFDIR;
    public bool IsRegular => Type == S_IFREG;
    public bool IsSymlink => Type == S_IFLNK;
}

/// <summary>
/// A container's root directory held open as a file descriptor. Every path is resolved by the kernel with
/// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so "..", absolute symlinks and symlinks to "../../.."
/// stay inside this directory whatever the container does meanwhile (the docker cp escapes CVE-2018-15664 and
/// CVE-2019-14271 were path resolution done on the host). Below a resolved directory, entries are reached
/// one name at a time with O_NOFOLLOW.
/// </summary>
public sealed unsafe partial class RootDir : IDisposable
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_NONBLOCK = 0x800,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    private const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;
    private const long SYS_openat2 = 437;
    public const int ENOENT = 2, ENOTDIR = 20, EEXIST = 17, ELOOP = 40, EXDEV = 18, EROFS = 30;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow { public ulong Flags; public ulong Mode; public ulong Resolve; }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial long syscall(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int fstatat(int dirfd, byte* path, Tmds.Linux.stat* buf, int flags);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int linkat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int fstatfs(int fd, long* buf);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int openat(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial nint readlinkat(int dirfd, byte* path, byte* buf, nuint size);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int mkdirat(int dirfd, byte* path, uint mode);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int utimensat(int dirfd, byte* path, Timespec* times, int flags);

    private readonly SafeFileHandle _fd;
    private readonly Action? _release;

    private RootDir(SafeFileHandle fd, Action? release)
    {
        _fd = fd;
        _release = release;
    }

    public int Fd => (int)_fd.DangerousGetHandle();

    /// <summary>Opens <paramref name="hostPath"/> (a mounted root, or /proc/PID/root) as the root for resolution;
    /// <paramref name="release"/> runs after the descriptor is closed (e.g. to unmount the root).</summary>
    public static RootDir Open(string hostPath, Action? release = null)
    {
        fixed (byte* p = Z(hostPath))
        {
            var fd = Tmds.Linux.LibC.open(p, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
            if (fd < 0)
                throw SyscallException.Last("open", hostPath);
            return new RootDir(new SafeFileHandle(fd, ownsHandle: true), release);
        }
    }

    /// <summary>Resolves <paramref name="containerPath"/> inside the root (following symlinks, confined); returns the fd or throws with errno.</summary>
    public SafeFileHandle Resolve(string containerPath, int flags)
    {
        var rel = containerPath.TrimStart('/');
        if (rel.Length == 0)
            rel = ".";
        var how = new OpenHow { Flags = (ulong)(flags | O_CLOEXEC), Resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        fixed (byte* p = Z(rel))
        {
            for (var attempt = 0; ; attempt++)
            {
                var fd = syscall(SYS_openat2, Fd, p, &how, (nuint)sizeof(OpenHow));
                if (fd >= 0)
                    return new SafeFileHandle((nint)fd, ownsHandle: true);
                var errno = Marshal.GetLastPInvokeError();
                // EAGAIN: a rename or mount raced a ".." lookup; retried a bounded number of times.
                if (errno != Errnos.EINTR && (errno != Errnos.EAGAIN || attempt >= 100))
                    throw new SyscallException("openat2", errno, containerPath);
            }
        }
    }

    /// <summary>Opens a directory in the root, creating missing components (0755, root-owned) on the way.</summary>
    public SafeFileHandle ResolveOrCreateDir(string containerPath)
    {
        try
        {
            return Resolve(containerPath, O_PATH | O_DIRECTORY);
        }
        catch (SyscallException e) when (e.Errno == ENOENT)
        {
        }
        var parts = containerPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var cur = Resolve("/", O_PATH | O_DIRECTORY);
        var path = "";
        foreach (var part in parts)
        {
            path += "/" + part;
            SafeFileHandle next;
            try
            {
                next = Resolve(path, O_PATH | O_DIRECTORY);
            }
            catch (SyscallException e) when (e.Errno == ENOENT)
            {
                MkdirAt(cur, part, 0x1ED);
                next = Resolve(path, O_PATH | O_DIRECTORY);
            }
            cur.Dispose();
            cur = next;
        }
        return cur;
    }

    // ---- *at helpers: one name below an already resolved directory, never following a final symlink ----

    public static FileStat? StatAt(SafeFileHandle dir, string name)
    {
        Tmds.Linux.stat st;
        fixed (byte* p = Z(name))
        {
            if (fstatat((int)dir.DangerousGetHandle(), p, &st, AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? AT_EMPTY_PATH : 0)) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is ENOENT or ENOTDIR)
                    return null;
                throw new SyscallException("fstatat", errno, name);
            }
        }
        return new FileStat((uint)st.st_mode, st.st_size, (uint)st.st_uid, (uint)st.st_gid, (ulong)st.st_dev, (ulong)st.st_ino, (ulong)st.st_nlink, (ulong)st.st_rdev,
            DateTimeOffset.FromUnixTimeSeconds(st.st_mtim.tv_sec).AddTicks(st.st_mtim.tv_nsec / 100));
    }

    /// <summary>fstat of an open fd.</summary>
    public static FileStat Stat(SafeFileHandle fd) => StatAt(fd, "") ?? throw new SyscallException("fstat", ENOENT);

    public static SafeFileHandle OpenAt(SafeFileHandle dir, string name, int flags, uint mode = 0)
    {
        fixed (byte* p = Z(name))
        {
            var fd = openat((int)dir.DangerousGetHandle(), p, flags | O_CLOEXEC | O_NOFOLLOW, mode);
            if (fd < 0)
                throw SyscallException.Last("openat", name);
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    public static string ReadLinkAt(SafeFileHandle dir, string name)
    {
        var buf = new byte[4096];
        fixed (byte* p = Z(name), b = buf)
        {
            var n = (long)readlinkat((int)dir.DangerousGetHandle(), p, b, (nuint)buf.Length);
            if (n < 0)
                throw SyscallException.Last("readlinkat", name);
            return Encoding.UTF8.GetString(buf, 0, (int)n);
        }
    }

    public static void MkdirAt(SafeFileHandle dir, string name, uint mode)
    {
        fixed (byte* p = Z(name))
            if (mkdirat((int)dir.DangerousGetHandle(), p, mode) != 0 && Marshal.GetLastPInvokeError() != EEXIST)
                throw SyscallException.Last("mkdirat", name);
    }

    public static void SymlinkAt(string target, SafeFileHandle dir, string name)
    {
        fixed (byte* t = Z(target), p = Z(name))
            if (Tmds.Linux.LibC.symlinkat(t, (int)dir.DangerousGetHandle(), p) != 0)
                throw SyscallException.Last("symlinkat", name);
    }

    public static void LinkAt(SafeFileHandle fromDir, string fromName, SafeFileHandle toDir, string toName)
    {
        fixed (byte* f = Z(fromName), t = Z(toName))
            if (linkat((int)fromDir.DangerousGetHandle(), f, (int)toDir.DangerousGetHandle(), t, 0) != 0)
                throw SyscallException.Last("linkat", toName);
    }

    public static void ChownAt(SafeFileHandle dir, string name, uint uid, uint gid)
    {
        fixed (byte* p = Z(name))
            if (Tmds.Linux.LibC.fchownat((int)dir.DangerousGetHandle(), p, uid, gid, AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? AT_EMPTY_PATH : 0)) != 0)
                throw SyscallException.Last("fchownat", name);
    }

    public static void Chmod(SafeFileHandle fd, uint mode)
    {
        if (fchmod((int)fd.DangerousGetHandle(), mode) != 0)
            throw SyscallException.Last("fchmod");
    }

    public static void SetMtimeAt(SafeFileHandle dir, string name, DateTimeOffset mtime)
    {
        var ns = (mtime.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        var t = new Timespec { Sec = Math.DivRem(ns, 1_000_000_000L, out var rem), Nsec = rem };
        if (t.Nsec < 0)
            (t.Sec, t.Nsec) = (t.Sec - 1, t.Nsec + 1_000_000_000L);
        var times = stackalloc Timespec[2] { t, t };
        fixed (byte* p = Z(name))
            if (utimensat((int)dir.DangerousGetHandle(), p, times, AT_SYMLINK_NOFOLLOW | (name.Length == 0 ? AT_EMPTY_PATH : 0)) != 0)
                throw SyscallException.Last("utimensat", name);
    }

    /// <summary>Removes a name; a directory with everything below it (reached by fd, never through a symlink).</summary>
    public static void RemoveAt(SafeFileHandle dir, string name)
    {
        if (StatAt(dir, name) is not { } st)
            return;
        if (st.IsDir)
        {
            using var sub = OpenAt(dir, name, O_RDONLY | O_DIRECTORY);
            foreach (var child in List(sub))
                RemoveAt(sub, child);
        }
        fixed (byte* p = Z(name))
            if (Tmds.Linux.LibC.unlinkat((int)dir.DangerousGetHandle(), p, st.IsDir ? AT_REMOVEDIR : 0) != 0)
                throw SyscallException.Last("unlinkat", name);
    }

    /// <summary>The names in an open directory (through its /proc/self/fd link, which is exactly that directory).</summary>
    public static List<string> List(SafeFileHandle dir) =>
        Directory.EnumerateFileSystemEntries($"/proc/self/fd/{(int)dir.DangerousGetHandle()}")
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>Kernel pseudo filesystems (proc, sysfs, cgroup, devpts, mqueue) a running container has mounted: not file content.</summary>
    public static bool IsPseudoFs(SafeFileHandle fd)
    {
        var buf = stackalloc long[15];
        if (fstatfs((int)fd.DangerousGetHandle(), buf) != 0)
            return false;
        return buf[0] is 0x9fa0 or 0x62656572 or 0x27e0eb or 0x63677270 or 0x1cd1 or 0x19800202 or 0x64626720 or 0x73636673 or 0x74726163;
    }

    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    public void Dispose()
    {
        _fd.Dispose();
        _release?.Invoke();
    }
}
