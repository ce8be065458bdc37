using System.Runtime.InteropServices;
using ContainerConsole.Runtime.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Networking.Netlink;

/// <summary>
/// An AF_NETLINK/NETLINK_ROUTE socket. Its network namespace is the one of the thread that created it, fixed for its
/// lifetime: <see cref="NetnsSocketFactory"/> makes sockets for a container's namespace. Not thread-safe; one per operation.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private const int NetlinkRoute = 0, NetlinkCapAck = 10, NetlinkExtAck = 11;
    private const ushort DumpInterrupted = 0x10; // NLM_F_DUMP_INTR: the table changed while the kernel walked it
    private const int ReceiveBufferSize = 64 * 1024;

    private int _fd;
    private uint _sequence;

    private NetlinkSocket(int fd) => _fd = fd;

    /// <summary>A socket in the calling thread's network namespace.</summary>
    public static NetlinkSocket Open()
    {
        var fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NetlinkRoute);
        if (fd < 0)
            throw SyscallException.Last("socket", "AF_NETLINK");
        try
        {
            // Short acks (no echoed request) that carry the kernel's explanation of a refusal.
            var one = 1;
            setsockopt(fd, SOL_NETLINK, NetlinkCapAck, &one, sizeof(int));
            setsockopt(fd, SOL_NETLINK, NetlinkExtAck, &one, sizeof(int));
            var address = new SockaddrNl { Family = (ushort)AF_NETLINK };
            if (bind(fd, (sockaddr*)&address, (uint)sizeof(SockaddrNl)) < 0)
                throw SyscallException.Last("bind", "AF_NETLINK");
            return new NetlinkSocket(fd);
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    /// <summary>Takes ownership of a socket made elsewhere (another namespace).</summary>
    public static NetlinkSocket FromDescriptor(int fd) => new(fd);

    /// <summary>Hands the descriptor over (to a socket made on another thread); this object no longer closes it.</summary>
    public int DetachDescriptor()
    {
        var fd = _fd;
        _fd = -1;
        return fd;
    }

    /// <summary>Sends a request with NLM_F_ACK and waits for its ack; a refusal becomes a <see cref="NetlinkException"/>.</summary>
    public void Execute(NetlinkMessageBuilder request, string operation)
    {
        var sequence = Send(request);
        while (true)
        {
            foreach (var message in Receive())
            {
                if (message.Sequence != sequence || message.Type != NetlinkMessage.Error)
                    continue;
                var (error, detail) = message.ReadError();
                if (error != 0)
                    throw new NetlinkException(operation, -error, detail);
                return;
            }
        }
    }

    /// <summary>Sends a get request and returns the kernel's one answer; a refusal becomes a <see cref="NetlinkException"/>.</summary>
    public NetlinkMessage Query(NetlinkMessageBuilder request, string operation)
    {
        var sequence = Send(request);
        while (true)
        {
            foreach (var message in Receive())
            {
                if (message.Sequence != sequence)
                    continue;
                if (message.Type != NetlinkMessage.Error)
                    return message;
                var (error, detail) = message.ReadError();
                throw new NetlinkException(operation, -error, detail);
            }
        }
    }

    /// <summary>Sends a dump request (NLM_F_DUMP) and collects every part up to NLMSG_DONE.</summary>
    public List<NetlinkMessage> Dump(Func<NetlinkMessageBuilder> request, string operation)
    {
        for (var attempt = 0; ; attempt++)
        {
            var sequence = Send(request());
            var parts = new List<NetlinkMessage>();
            var interrupted = false;
            while (true)
            {
                var done = false;
                foreach (var message in Receive())
                {
                    if (message.Sequence != sequence)
                        continue;
                    interrupted |= (message.Flags & DumpInterrupted) != 0;
                    if (message.Type == NetlinkMessage.Done)
                        done = true;
                    else if (message.Type == NetlinkMessage.Error)
                    {
                        var (error, detail) = message.ReadError();
                        throw new NetlinkException(operation, -error, detail);
                    }
                    else if (message.Type != NetlinkMessage.Noop)
                        parts.Add(message);
                }
                if (done)
                    break;
            }
            if (!interrupted || attempt == 3)
                return parts;
        }
    }

    private uint Send(NetlinkMessageBuilder request)
    {
        var sequence = ++_sequence;
        var bytes = request.ToArray(sequence);
        fixed (byte* p = bytes)
        {
            while (true)
            {
                var sent = (long)send(_fd, p, (size_t)bytes.Length, 0);
                if (sent == bytes.Length)
                    return sequence;
                if (sent < 0 && Marshal.GetLastPInvokeError() == EINTR)
                    continue;
                throw sent < 0 ? SyscallException.Last("send", "netlink") : new IOException("short netlink send");
            }
        }
    }

    private List<NetlinkMessage> Receive()
    {
        var buffer = new byte[ReceiveBufferSize];
        fixed (byte* p = buffer)
        {
            while (true)
            {
                // MSG_TRUNC returns the real length, so a message larger than the buffer is an error, not a silent cut.
                var received = (long)recv(_fd, p, (size_t)buffer.Length, MSG_TRUNC);
                if (received < 0 && Marshal.GetLastPInvokeError() == EINTR)
                    continue;
                if (received < 0)
                    throw SyscallException.Last("recv", "netlink");
                if (received > buffer.Length)
                    throw new InvalidDataException($"netlink message of {received} bytes exceeds the {buffer.Length}-byte buffer");
                return NetlinkMessage.Parse(buffer.AsSpan(0, (int)received));
            }
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
            close(_fd);
        _fd = -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }
}
