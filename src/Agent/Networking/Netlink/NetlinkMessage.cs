using System.Runtime.InteropServices;
using System.Text;

namespace ContainerConsole.Networking.Netlink;

/// <summary>One received netlink message: its header fields and its payload (family header and attributes).</summary>
internal sealed record NetlinkMessage(ushort Type, ushort Flags, uint Sequence, byte[] Payload)
{
    public const ushort Noop = 1, Error = 2, Done = 3;

    /// <summary>Splits what one recv() returned into messages; a message shorter than its header is malformed.</summary>
    public static List<NetlinkMessage> Parse(ReadOnlySpan<byte> data)
    {
        var messages = new List<NetlinkMessage>();
        while (data.Length >= NetlinkMessageBuilder.HeaderLength)
        {
            var length = (int)Read<uint>(data);
            if (length < NetlinkMessageBuilder.HeaderLength || length > data.Length)
                throw new InvalidDataException($"malformed netlink message: length {length} with {data.Length} bytes left");
            messages.Add(new NetlinkMessage(Read<ushort>(data[4..]), Read<ushort>(data[6..]), Read<uint>(data[8..]),
                data[NetlinkMessageBuilder.HeaderLength..length].ToArray()));
            data = data[Math.Min(NetlinkMessageBuilder.Align(length), data.Length)..];
        }
        return messages;
    }

    /// <summary>
    /// For an NLMSG_ERROR message: the negative errno (0 is the ack) and the extended-ack text when the kernel gave one
    /// (NETLINK_EXT_ACK: NLMSGERR_ATTR_MSG after the echoed request header, which NETLINK_CAP_ACK keeps short).
    /// </summary>
    public (int Error, string? Message) ReadError()
    {
        if (Payload.Length < 4 + NetlinkMessageBuilder.HeaderLength)
            throw new InvalidDataException("malformed netlink error message");
        var error = Read<int>(Payload);
        string? text = null;
        const ushort ackTlvs = 0x200, capped = 0x100; // NLM_F_ACK_TLVS, NLM_F_CAPPED
        if ((Flags & ackTlvs) != 0)
        {
            var echoed = (Flags & capped) != 0
                ? NetlinkMessageBuilder.HeaderLength
                : NetlinkMessageBuilder.Align((int)Read<uint>(Payload.AsSpan(4)));
            var tlvStart = 4 + echoed;
            if (tlvStart <= Payload.Length &&
                NetlinkAttributes.Parse(Payload.AsSpan(tlvStart)).TryGetValue(1 /* NLMSGERR_ATTR_MSG */, out var msg))
                text = NetlinkAttributes.String(msg);
        }
        return (error, text);
    }

    internal static T Read<T>(ReadOnlySpan<byte> data) where T : struct => MemoryMarshal.Read<T>(data);
}

/// <summary>Route attributes (struct rtattr / nlattr) of a payload, by type; the nested and byte-order flags are masked off.</summary>
internal static class NetlinkAttributes
{
    public static Dictionary<ushort, byte[]> Parse(ReadOnlySpan<byte> data)
    {
        var attributes = new Dictionary<ushort, byte[]>();
        while (data.Length >= 4)
        {
            var length = NetlinkMessage.Read<ushort>(data);
            if (length < 4 || length > data.Length)
                break;
            var type = (ushort)(NetlinkMessage.Read<ushort>(data[2..]) & 0x3fff);
            attributes.TryAdd(type, data[4..length].ToArray());
            data = data[Math.Min(NetlinkMessageBuilder.Align(length), data.Length)..];
        }
        return attributes;
    }

    public static string String(byte[] payload)
    {
        var end = Array.IndexOf(payload, (byte)0);
        return Encoding.UTF8.GetString(payload, 0, end < 0 ? payload.Length : end);
    }

    public static uint UInt32(byte[] payload) => NetlinkMessage.Read<uint>(payload);
}

/// <summary>A netlink request the kernel refused: names what was being done and why (errno text, extended ack).</summary>
public sealed class NetlinkException(string operation, int errno, string? detail = null)
    : Exception($"{operation} failed: {Marshal.GetPInvokeErrorMessage(errno)}{(string.IsNullOrEmpty(detail) ? "" : $" ({detail})")}")
{
    public string Operation { get; } = operation;
    public int Errno { get; } = errno;
}
