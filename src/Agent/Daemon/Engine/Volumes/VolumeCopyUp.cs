using ContainerConsole.Runtime.Interop;
using Microsoft.Win32.SafeHandles;

namespace ContainerConsole.Agent.Engine.Volumes;

/// <summary>
/// Docker's copy-up: the first time an empty volume is mounted, the image's files at the mount destination are copied
/// into it with their modes, owners, timestamps and symlinks (as links, never followed). The source is reached through
/// a <see cref="RootDir"/> (openat2 RESOLVE_IN_ROOT), so an image whose destination is a symlink to /etc or ../../..
/// copies from inside its own root, never from the host; below it every entry is opened by name with O_NOFOLLOW.
/// </summary>
public static class VolumeCopyUp
{
    /// <summary>Copies <paramref name="destination"/> of <paramref name="root"/> into the empty directory <paramref name="volumeData"/>.
    /// Returns false when there is nothing to copy (no such directory in the image).</summary>
    public static async Task<bool> CopyAsync(RootDir root, string destination, string volumeData, ILogger log, CancellationToken ct)
    {
        SafeFileHandle source;
        try
        {
            source = root.Resolve(destination, RootDir.O_RDONLY | RootDir.O_DIRECTORY);
        }
        catch (SyscallException e) when (e.Errno is RootDir.ENOENT or RootDir.ENOTDIR)
        {
            return false;
        }
        using (source)
        using (var target = RootDir.Open(volumeData))
        using (var targetDir = target.Resolve("/", RootDir.O_RDONLY | RootDir.O_DIRECTORY))
        {
            await CopyTreeAsync(source, targetDir, log, ct);
            CopyMetadata(RootDir.Stat(source), targetDir, "", targetDir);
        }
        return true;
    }

    /// <summary>True when the directory has no entries (only then is a volume populated).</summary>
    public static bool IsEmpty(string dir) => !Directory.EnumerateFileSystemEntries(dir).Any();

    private static async Task CopyTreeAsync(SafeFileHandle from, SafeFileHandle to, ILogger log, CancellationToken ct)
    {
        foreach (var name in RootDir.List(from))
        {
            ct.ThrowIfCancellationRequested();
            if (RootDir.StatAt(from, name) is not { } st)
                continue; // removed meanwhile
            switch (st.Type)
            {
                case FileStat.S_IFDIR:
                {
                    RootDir.MkdirAt(to, name, 0x1C0);
                    using var sub = RootDir.OpenAt(from, name, RootDir.O_RDONLY | RootDir.O_DIRECTORY);
                    using var subTo = RootDir.OpenAt(to, name, RootDir.O_RDONLY | RootDir.O_DIRECTORY);
                    await CopyTreeAsync(sub, subTo, log, ct);
                    CopyMetadata(st, subTo, "", subTo);
                    break;
                }
                case FileStat.S_IFREG:
                {
                    using (var input = RootDir.OpenAt(from, name, RootDir.O_RDONLY))
                    using (var output = RootDir.OpenAt(to, name, RootDir.O_WRONLY | RootDir.O_CREAT | RootDir.O_EXCL, 0x180))
                    {
                        await using var r = new FileStream(input, FileAccess.Read, 0);
                        await using var w = new FileStream(output, FileAccess.Write, 0);
                        await r.CopyToAsync(w, 1 << 16, ct);
                    }
                    using var written = RootDir.OpenAt(to, name, RootDir.O_RDONLY);
                    CopyMetadata(st, to, name, written);
                    break;
                }
                case FileStat.S_IFLNK:
                    RootDir.SymlinkAt(RootDir.ReadLinkAt(from, name), to, name);
                    RootDir.ChownAt(to, name, st.Uid, st.Gid);
                    RootDir.SetMtimeAt(to, name, st.Mtime);
                    break;
                default:
                    log.LogInformation("copy-up skips the special file {Name} (devices, fifos and sockets are not copied)", name);
                    break;
            }
        }
    }

    /// <summary>Owner first (chown clears set-id bits), then the mode, then the time (writing entries changed it).</summary>
    private static void CopyMetadata(FileStat st, SafeFileHandle dir, string name, SafeFileHandle fd)
    {
        RootDir.ChownAt(dir, name, st.Uid, st.Gid);
        RootDir.Chmod(fd, st.Mode & 0xFFF);
        RootDir.SetMtimeAt(dir, name, st.Mtime);
    }
}
