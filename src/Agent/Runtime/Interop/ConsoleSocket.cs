using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Interop;

/// <summary>
/// The receiving end of runc's --console-socket protocol: init creates the pty inside
/// the container and sends the master over this unix socket (SCM_RIGHTS).
/// </summary>
public sealed unsafe class ConsoleSocket : IDisposable
{
    private readonly Socket _listener;

    public string Path { get; }

    public ConsoleSocket(string path)
    {
        Path = path;
        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
    }

    /// <summary>Accepts init's connection and returns the pty master it sent.</summary>
    public int ReceiveMaster(TimeSpan timeout)
    {
        if (!_listener.Poll(timeout, SelectMode.SelectRead))
            throw new ContainerSetupException("no terminal arrived on the console socket");
        using var conn = _listener.Accept();
        var data = stackalloc byte[256];
        var control = stackalloc byte[64];
        var iov = new IoVec { Base = data, Length = 256 };
        var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 64 };
        if (recvmsg((int)conn.Handle, &msg, 0) < 0)
            throw SyscallException.Last("recvmsg", Path);
        var cmsg = (CmsgHdr*)control;
        if (msg.ControlLen < (nuint)sizeof(CmsgHdr) + sizeof(int) || cmsg->Level != SOL_SOCKET || cmsg->Type != SCM_RIGHTS)
            throw new ContainerSetupException("the console socket message carried no file descriptor");
        return *(int*)(control + sizeof(CmsgHdr));
    }

    public void Dispose()
    {
        _listener.Dispose();
        File.Delete(Path);
    }

    private const int SOL_SOCKET = 1, SCM_RIGHTS = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVec* Iov;
        public nuint IovLen;
        public void* Control;
        public nuint ControlLen;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHdr
    {
        public nuint Len;
        public int Level;
        public int Type;
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern nint recvmsg(int sockfd, MsgHdr* msg, int flags);
}
