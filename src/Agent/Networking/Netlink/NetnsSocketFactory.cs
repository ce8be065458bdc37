using System.Runtime.InteropServices;
using ContainerConsole.Runtime.Interop;
using Microsoft.Win32.SafeHandles;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Networking.Netlink;

/// <summary>
/// Makes netlink sockets that act inside another network namespace (a container's). A socket's namespace is fixed
/// when it is created, and the namespace belongs to the thread, not the process: so a dedicated OS thread enters the
/// target namespace, creates the socket, goes back to the agent's namespace and ends. Never a thread-pool thread: one
/// that failed to switch back would then run unrelated work (sockets, connects) in the container's namespace
/// (ARCHITECTURE rule 1 pitfalls). The thread ends right after, so even a failed switch back cannot leak.
/// </summary>
internal sealed unsafe class NetnsSocketFactory : IDisposable
{
    private readonly SafeFileHandle _agentNetns;

    /// <summary>Holds the agent's own namespace open (the process's, main thread) to return to.</summary>
    public NetnsSocketFactory() => _agentNetns = OpenNetns("/proc/self/ns/net") ?? throw new InvalidOperationException("/proc/self/ns/net is missing");

    /// <summary>An O_RDONLY descriptor of a namespace file (for setns or IFLA_NET_NS_FD), or null when it does not exist.</summary>
    public static SafeFileHandle? OpenNetns(string path)
    {
        int fd;
        fixed (byte* p = NulTerminated(path))
            fd = open(p, O_RDONLY | O_CLOEXEC, 0);
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Errnos.ENOENT)
            return null;
        throw new SyscallException("open", errno, path);
    }

    /// <summary>A route socket in the namespace at <paramref name="netnsPath"/>; null when the namespace is gone.</summary>
    public RouteNetlink? Open(string netnsPath)
    {
        using var target = OpenNetns(netnsPath);
        if (target is null)
            return null;
        var fd = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (setns((int)target.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    throw SyscallException.Last("setns", netnsPath);
                try
                {
                    var socket = NetlinkSocket.Open();
                    fd = socket.DetachDescriptor();
                }
                finally
                {
                    if (setns((int)_agentNetns.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    {
                        // The thread ends now either way; what matters is that the socket is not used as if it were fine.
                        failure = SyscallException.Last("setns", "back to the agent's network namespace");
                    }
                }
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        })
        { IsBackground = true, Name = "netns-socket" };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            if (fd >= 0)
                close(fd);
            throw failure;
        }
        return new RouteNetlink(NetlinkSocket.FromDescriptor(fd));
    }

    private static byte[] NulTerminated(string s) => System.Text.Encoding.UTF8.GetBytes(s + "\0");

    public void Dispose() => _agentNetns.Dispose();
}
