using System.Runtime.InteropServices;
using System.Text;

namespace ContainerConsole.Networking.Netlink;

/// <summary>
/// Builds one netlink message: the 16-byte nlmsghdr, the family header (ifinfomsg, ifaddrmsg, rtmsg) and route
/// attributes. Every attribute starts on a 4-byte boundary (NLA_ALIGNTO) and its length field counts its header and
/// payload but not the padding; a nest's length covers everything added inside it.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    public const int HeaderLength = 16;
    private const int AttributeHeaderLength = 4;

    private byte[] _buffer = new byte[256];
    private int _length;

    public NetlinkMessageBuilder(ushort type, ushort flags)
    {
        Type = type;
        Flags = flags;
        _length = HeaderLength;
    }

    public ushort Type { get; }
    public ushort Flags { get; }

    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>struct ifinfomsg: family, pad, type, index, flags, change.</summary>
    public NetlinkMessageBuilder IfInfo(int index = 0, uint flags = 0, uint change = 0, byte family = 0)
    {
        var span = Grow(16);
        span[0] = family;
        Put(span[4..], index);
        Put(span[8..], flags);
        Put(span[12..], change);
        return this;
    }

    /// <summary>struct ifaddrmsg: family, prefixlen, flags, scope, index.</summary>
    public NetlinkMessageBuilder IfAddr(byte family, byte prefixLength, byte scope, int index)
    {
        var span = Grow(8);
        span[0] = family;
        span[1] = prefixLength;
        span[3] = scope;
        Put(span[4..], index);
        return this;
    }

    /// <summary>struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.</summary>
    public NetlinkMessageBuilder Rt(byte family, byte dstLength = 0, byte table = 0, byte protocol = 0, byte scope = 0, byte type = 0)
    {
        var span = Grow(12);
        span[0] = family;
        span[1] = dstLength;
        span[4] = table;
        span[5] = protocol;
        span[6] = scope;
        span[7] = type;
        return this;
    }

    public NetlinkMessageBuilder Attribute(ushort type, ReadOnlySpan<byte> payload)
    {
        var span = Grow(Align(AttributeHeaderLength + payload.Length));
        Put(span, (ushort)(AttributeHeaderLength + payload.Length));
        Put(span[2..], type);
        payload.CopyTo(span[AttributeHeaderLength..]);
        return this;
    }

    public NetlinkMessageBuilder Attribute(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        Put(b, value);
        return Attribute(type, b);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).</summary>
    public NetlinkMessageBuilder Attribute(ushort type, string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return Attribute(type, bytes);
    }

    /// <summary>Opens a nested attribute; its length is filled in by <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        var start = _length;
        var span = Grow(AttributeHeaderLength);
        Put(span[2..], type);
        return start;
    }

    public NetlinkMessageBuilder EndNested(int start)
    {
        Put(_buffer.AsSpan(start), (ushort)(_length - start));
        return this;
    }

    /// <summary>The finished message with its length and sequence number; the port id 0 addresses the kernel.</summary>
    public byte[] ToArray(uint sequence)
    {
        var message = _buffer.AsSpan(0, _length).ToArray();
        Put(message, (uint)_length);
        Put(message.AsSpan(4), Type);
        Put(message.AsSpan(6), Flags);
        Put(message.AsSpan(8), sequence);
        return message;
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = _buffer.AsSpan(_length, count);
        span.Clear();
        _length += count;
        return span;
    }

    // Netlink uses the host's byte order.
    private static void Put<T>(Span<byte> destination, T value) where T : struct => MemoryMarshal.Write(destination, in value);
}
