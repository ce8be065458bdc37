using System.Runtime.InteropServices;
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

    public static void Mount(string lower, string upper, string work, string target)
    {
        var data = $"lowerdir={lower},upperdir={upper},workdir={work}";
        if (Call(() => Tmds.Linux.LibC.mount(P("overlay"), P(target), P("overlay"), 0, P(data))) != 0)
            throw SyscallException.Last("mount overlay", target);
    }

    /// <summary>Unmounts if mounted; a detach so a busy reader cannot block container removal.</summary>
    public static void Unmount(string target)
    {
        if (!IsMountPoint(target))
            return;
        if (Call(() => Tmds.Linux.LibC.umount2(P(target), MNT_DETACH)) != 0)
            throw SyscallException.Last("umount", target);
    }

    public static bool IsMountPoint(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);

    // Keeps the native strings alive for the duration of one call.
    private static readonly List<GCHandle> Pinned = [];

    private static int Call(Func<int> f)
    {
        try
        {
            return f();
        }
        finally
        {
            foreach (var h in Pinned)
                h.Free();
            Pinned.Clear();
        }
    }

    private static byte* P(string s)
    {
        var h = GCHandle.Alloc(Encoding.UTF8.GetBytes(s + "\0"), GCHandleType.Pinned);
        Pinned.Add(h);
        return (byte*)h.AddrOfPinnedObject();
    }
}
