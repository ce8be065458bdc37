using System.Runtime.InteropServices;

namespace ContainerConsole.Images.Store;

/// <summary>Durability helpers: fsync a directory after a rename into it.</summary>
internal static partial class FileSync
{
    public static void Directory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, 0 /* O_RDONLY */ | 0x80000 /* O_CLOEXEC */);
        if (fd < 0)
        {
            return; // best effort
        }

        _ = FSync(fd);
        _ = Close(fd);
    }

    public static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>fsync of a file by path, so a rename of it (or of a hard link to it) is durable.</summary>
    public static void FlushFile(string path)
    {
        var fd = Open(path, 0 /* O_RDONLY */ | 0x80000 /* O_CLOEXEC */);
        if (fd < 0)
        {
            throw new IOException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        var rc = FSync(fd);
        var errno = Marshal.GetLastPInvokeError();
        _ = Close(fd);
        if (rc != 0)
        {
            throw new IOException($"fsync {path}: errno {errno}");
        }
    }

    /// <summary>
    /// Marks a directory as the top of separate hierarchies (chattr +T), so ext4's Orlov allocator spreads its
    /// subdirectories (one per layer) over block groups instead of packing them next to the parent. Without it, a layer
    /// unpacked just after another was removed lands in the group of the removed inodes, and on ext4 without a journal
    /// every file creation then scans past each recently deleted inode (seconds per load for thousands of files).
    /// Best effort: other filesystems ignore or refuse the flag.
    /// </summary>
    public static void TryMarkTopDirectory(string directory)
    {
        const uint FsIocGetFlags = 0x80086601, FsIocSetFlags = 0x40086602;
        const int FsTopDirFl = 0x00020000;
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, 0x10000 /* O_DIRECTORY */ | 0x80000 /* O_CLOEXEC */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            int flags = 0;
            if (IoctlFlags(fd, FsIocGetFlags, ref flags) == 0 && (flags & FsTopDirFl) == 0)
            {
                flags |= FsTopDirFl;
                _ = IoctlFlags(fd, FsIocSetFlags, ref flags);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlFlags(int fd, nuint request, ref int flags);

    /// <summary>link(2): a second name for the same inode; false when the filesystem refuses (e.g. across filesystems).</summary>
    public static bool TryHardLink(string existing, string newPath) => Link(existing, newPath) == 0;

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
