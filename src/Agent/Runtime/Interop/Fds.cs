using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Runtime.Interop;

/// <summary>Small fd utilities over Tmds.LibC.</summary>
public static unsafe class Fds
{
    public static (int A, int B) SocketPair()
    {
        var fds = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
            throw SyscallException.Last("socketpair");
        return (fds[0], fds[1]);
    }

    public static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
            throw SyscallException.Last("pipe2");
        return (fds[0], fds[1]);
    }

    public static void Close(int fd)
    {
        if (fd >= 0)
            close(fd);
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var off = 0;
            while (off < data.Length)
            {
                var n = (long)write(fd, p + off, (size_t)(data.Length - off));
                if (n < 0)
                {
                    var e = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    if (e == Errnos.EINTR)
                        continue;
                    throw new SyscallException("write", e);
                }
                off += (int)n;
            }
        }
    }

    /// <summary>Reads one '\n'-terminated line (without it); null at EOF.</summary>
    public static string? ReadLine(int fd)
    {
        var buf = new List<byte>(64);
        byte b;
        while (true)
        {
            var n = (long)read(fd, &b, 1);
            if (n < 0)
            {
                var e = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (e == Errnos.EINTR)
                    continue;
                throw new SyscallException("read", e);
            }
            if (n == 0)
                return buf.Count == 0 ? null : System.Text.Encoding.UTF8.GetString(buf.ToArray());
            if (b == (byte)'\n')
                return System.Text.Encoding.UTF8.GetString(buf.ToArray());
            buf.Add(b);
        }
    }

    public static void MkFifo(string path, uint mode)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            if (mkfifo(p, (mode_t)mode) < 0)
                throw SyscallException.Last("mkfifo", path);
    }

    public static void Chown(string path, uint uid, uint gid)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            if (chown(p, uid, gid) < 0)
                throw SyscallException.Last("chown", path);
    }

    public static bool Kill(int pid, int signal)
    {
        if (kill(pid, signal) == 0)
            return true;
        var e = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (e == Errnos.ESRCH)
            return false;
        throw new SyscallException("kill", e, pid.ToString());
    }

    public static bool IsRoot => geteuid() == 0;
}
