using System.Runtime.InteropServices;
using ContainerConsole.Runtime.State;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Runtime.Interop;

/// <summary>The create/start rendezvous (as runc's exec.fifo).</summary>
public static unsafe class ExecFifo
{
    /// <summary>
    /// Opens the fifo non-blocking and waits for init's byte. A blocking open would
    /// hang forever if init died before opening its end, so liveness is checked while waiting.
    /// </summary>
    public static void Release(string path, ProcessIdentity init)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes)
            fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0)
            throw SyscallException.Last("open", path);
        try
        {
            while (true)
            {
                pollfd pfd = default;
                pfd.fd = fd;
                pfd.events = POLLIN;
                poll(&pfd, 1, 50);
                byte b;
                var n = (long)read(fd, &b, 1);
                if (n == 1)
                    return;
                if (n < 0 && Marshal.GetLastPInvokeError() is not (Errnos.EAGAIN or Errnos.EINTR))
                    throw SyscallException.Last("read", path);
                if (!init.IsAlive)
                    throw new InvalidStatusException("container init exited before start");
            }
        }
        finally
        {
            close(fd);
        }
    }
}
