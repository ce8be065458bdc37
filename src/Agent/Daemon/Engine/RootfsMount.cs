using System.Text;
using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The overlay root filesystem mounted on the host, for OCI runtimes (runc) that
/// expect root.path to be ready. ccrun mounts it inside the container instead.
/// </summary>
public static unsafe class RootfsMount
{
    private const int MNT_DETACH = 2;
    private const uint MS_RDONLY = 1;

    public static void Mount(string lower, string upper, string work, string target)
    {
        var data = $"lowerdir={lower},upperdir={upper},workdir={work}";
        fixed (byte* type = Z("overlay"), t = Z(target), d = Z(data))
            if (Tmds.Linux.LibC.mount(type, t, type, 0, d) != 0)
                throw SyscallException.Last("mount overlay", target);
    }

    /// <summary>A read-only overlay of <paramref name="lowerDirs"/> (topmost first): a container's files for export, another build stage's for COPY --from.</summary>
    public static void MountReadOnly(IReadOnlyList<string> lowerDirs, string target)
    {
        var data = $"lowerdir={string.Join(':', lowerDirs)}";
        fixed (byte* type = Z("overlay"), t = Z(target), d = Z(data))
            if (Tmds.Linux.LibC.mount(type, t, type, MS_RDONLY, d) != 0)
                throw SyscallException.Last("mount overlay", target);
    }

    /// <summary>Unmounts if mounted; a detach so a busy reader cannot block container removal.</summary>
    public static void Unmount(string target)
    {
        if (!IsMountPoint(target))
            return;
        fixed (byte* t = Z(target))
            if (Tmds.Linux.LibC.umount2(t, MNT_DETACH) != 0)
                throw SyscallException.Last("umount", target);
    }

    public static bool IsMountPoint(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);

    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");
}
