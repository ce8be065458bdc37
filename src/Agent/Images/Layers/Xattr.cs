using System.Runtime.InteropServices;
using System.Text;

namespace ContainerConsole.Images.Layers;

/// <summary>Thin libc wrappers used by the layer unpacker. None of them follows a final symlink.</summary>
internal static unsafe partial class Xattr
{
    internal const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000;
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, RENAME_NOREPLACE = 1;
    internal const int ENOENT = 2, EPERM = 1, ENOTSUP = 95, ENODATA = 61, ENOSYS = 38, EINVAL = 22;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint lgetxattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int utimensat(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldPath, int newdirfd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openMode(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, byte* buf, nuint count);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int fchown(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int fsetxattr(int fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int futimens(int fd, Timespec* times);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int syncfs(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    private static IOException Error(string op, string path, int errno) =>
        new($"{op} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    private static void Check(int rc, string op, string path)
    {
        if (rc != 0)
            throw Error(op, path, Marshal.GetLastPInvokeError());
    }

    /// <summary>lstat: file type bits and inode info, or null if the path does not exist.</summary>
    internal readonly record struct Stat(uint Mode, ulong Ino, ulong Rdev, ulong Nlink, uint Uid, uint Gid);

    internal static Stat? LStat(string path)
    {
        Tmds.Linux.stat st;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            if (Tmds.Linux.LibC.lstat(p, &st) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == ENOENT || errno == 20 /* ENOTDIR */)
                    return null;
                throw Error("lstat", path, errno);
            }
        }
        return new Stat((uint)st.st_mode, (ulong)st.st_ino, (ulong)st.st_rdev, (ulong)st.st_nlink, (uint)st.st_uid, (uint)st.st_gid);
    }

    /// <summary>Sets an xattr on the path itself (not a symlink's target). Returns the errno, 0 on success.</summary>
    internal static int TrySet(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value)
            return lsetxattr(path, name, v, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    internal static void Set(string path, string name, ReadOnlySpan<byte> value)
    {
        var errno = TrySet(path, name, value);
        if (errno != 0)
            throw Error($"lsetxattr {name}", path, errno);
    }

    /// <summary>Reads an xattr of the path itself, or null if it is absent.</summary>
    internal static byte[]? Get(string path, string name)
    {
        var size = lgetxattr(path, name, null, 0);
        if (size < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ENODATA)
                return null;
            throw Error($"lgetxattr {name}", path, errno);
        }
        var buf = new byte[size];
        fixed (byte* b = buf)
            size = lgetxattr(path, name, b, (nuint)buf.Length);
        if (size < 0)
            throw Error($"lgetxattr {name}", path, Marshal.GetLastPInvokeError());
        return buf.AsSpan(0, (int)size).ToArray();
    }

    private const int O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    internal const int EEXIST = 17, EINTR = 4;

    /// <summary>
    /// Creates a new regular file (mode 0600) for writing; never follows or reuses an existing name. Returns the fd,
    /// or -errno (EEXIST when the name is taken). Working on the fd spares a path lookup per metadata call.
    /// </summary>
    internal static int TryCreateExclusive(string path)
    {
        var fd = openMode(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    internal static void WriteAll(int fd, ReadOnlySpan<byte> data, string path)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = write(fd, p + done, (nuint)(data.Length - done));
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                        continue;
                    throw Error("write", path, errno);
                }
                done += (int)n;
            }
        }
    }

    internal static void FChown(int fd, int uid, int gid, string path) => Check(fchown(fd, (uint)uid, (uint)gid), "fchown", path);

    internal static void FChmod(int fd, uint mode, string path) => Check(fchmod(fd, mode), "fchmod", path);

    /// <summary>Sets an xattr on an open file. Returns the errno, 0 on success.</summary>
    internal static int TryFSet(int fd, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value)
            return fsetxattr(fd, name, v, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    internal static void FSetTimes(int fd, DateTimeOffset atime, DateTimeOffset mtime, string path)
    {
        var t = stackalloc Timespec[2];
        t[0] = ToTimespec(atime);
        t[1] = ToTimespec(mtime);
        Check(futimens(fd, t), "futimens", path);
    }

    internal static void CloseFd(int fd) => close(fd);

    /// <summary>Creates an overlayfs whiteout: a character device 0:0.</summary>
    internal static void MkWhiteout(string path) => Check(mknod(path, S_IFCHR, 0), "mknod", path);

    internal static void LChown(string path, int uid, int gid) => Check(lchown(path, (uint)uid, (uint)gid), "lchown", path);

    internal static void Chmod(string path, uint mode) => Check(chmod(path, mode), "chmod", path);

    internal static void Link(string existing, string newPath) => Check(link(existing, newPath), "link", newPath);

    /// <summary>Sets atime and mtime of the path itself (a symlink is not followed).</summary>
    internal static void SetTimes(string path, DateTimeOffset atime, DateTimeOffset mtime)
    {
        var t = stackalloc Timespec[2];
        t[0] = ToTimespec(atime);
        t[1] = ToTimespec(mtime);
        Check(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), "utimensat", path);
    }

    private static Timespec ToTimespec(DateTimeOffset t)
    {
        var ticks = t.UtcTicks - DateTime.UnixEpoch.Ticks;
        var sec = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rem);
        if (rem < 0) { sec--; rem += TimeSpan.TicksPerSecond; }
        return new Timespec { Sec = sec, Nsec = rem * 100 };
    }

    /// <summary>rename(2) that fails with IOException if the destination exists (even an empty directory).</summary>
    internal static void RenameNoReplace(string from, string to)
    {
        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
            return;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ENOSYS || errno == EINVAL)
        {
            // Filesystem without RENAME_NOREPLACE: best effort.
            if (Path.Exists(to))
                throw new IOException($"{to} already exists");
            Directory.Move(from, to);
            return;
        }
        throw errno == 17 /* EEXIST */ ? new IOException($"{to} already exists") : Error("rename", to, errno);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int fsync(int fd);

    private const int O_RDONLY_DIRECTORY_CLOEXEC = 0x10000 | 0x80000;

    /// <summary>Flushes the filesystem holding the directory (crash safety before the final rename).</summary>
    internal static void SyncFs(string dir)
    {
        var fd = open(dir, O_RDONLY_DIRECTORY_CLOEXEC);
        if (fd < 0)
            throw Error("open", dir, Marshal.GetLastPInvokeError());
        try { Check(syncfs(fd), "syncfs", dir); }
        finally { close(fd); }
    }

    /// <summary>fsync of a directory, so a rename inside it is durable.</summary>
    internal static void FsyncDir(string dir)
    {
        var fd = open(dir, O_RDONLY_DIRECTORY_CLOEXEC);
        if (fd < 0)
            throw Error("open", dir, Marshal.GetLastPInvokeError());
        try { Check(fsync(fd), "fsync", dir); }
        finally { close(fd); }
    }
}
