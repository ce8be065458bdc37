using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The part of DNS (RFC 1035) the embedded server needs: read a query's single question and answer it with A records.
/// </summary>
public static class DnsMessage
{
    public const ushort TypeA = 1;
    public const ushort ClassIn = 1;
    public const int RcodeFormErr = 1;
    public const int RcodeServFail = 2;
    public const int RcodeNxDomain = 3;
    public const uint Ttl = 600;

    public sealed record Question(ushort Id, string Name, ushort Type, ushort Class, int End, bool RecursionDesired);

    /// <summary>The query's question, or null when the message is not a standard query with exactly one question.</summary>
    public static Question? ReadQuestion(ReadOnlySpan<byte> m)
    {
        if (m.Length < 12)
            return null;
        var flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        var isResponse = (flags & 0x8000) != 0;
        var opcode = (flags >> 11) & 0xF;
        if (isResponse || opcode != 0 || BinaryPrimitives.ReadUInt16BigEndian(m[4..]) != 1)
            return null;
        var labels = new List<string>();
        var i = 12;
        while (true)
        {
            if (i >= m.Length)
                return null;
            int len = m[i++];
            if (len == 0)
                break;
            if (len > 63 || i + len > m.Length)
                return null; // compression pointers do not occur in a question
            labels.Add(Encoding.ASCII.GetString(m.Slice(i, len)));
            i += len;
        }
        if (i + 4 > m.Length)
            return null;
        return new Question(BinaryPrimitives.ReadUInt16BigEndian(m), string.Join('.', labels).ToLowerInvariant(),
            BinaryPrimitives.ReadUInt16BigEndian(m[i..]), BinaryPrimitives.ReadUInt16BigEndian(m[(i + 2)..]), i + 4, (flags & 0x0100) != 0);
    }

    /// <summary>
    /// The answer to a query for a name the network knows: its A records (none for other types: the name exists, so
    /// NOERROR with no data, not NXDOMAIN). Null when <paramref name="lookup"/> does not know the name (forward it).
    /// </summary>
    public static byte[]? Answer(ReadOnlySpan<byte> query, Func<string, IReadOnlyList<IPAddress>?> lookup)
    {
        var q = ReadQuestion(query);
        if (q is null)
            return query.Length >= 12 ? Error(query, RcodeFormErr) : null;
        var addresses = lookup(q.Name);
        if (addresses is null)
            return null;
        var answers = q.Type == TypeA && q.Class == ClassIn ? addresses : [];
        var response = new byte[q.End + answers.Count * 16];
        query[..q.End].CopyTo(response);
        WriteHeader(response, q.RecursionDesired, 0, (ushort)answers.Count);
        var o = q.End;
        foreach (var a in answers)
        {
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(o), 0xC00C); // the name: a pointer to the question's
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(o + 2), TypeA);
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(o + 4), ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(o + 6), Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(o + 10), 4);
            a.GetAddressBytes().CopyTo(response, o + 12);
            o += 16;
        }
        return response;
    }

    /// <summary>An error answer (SERVFAIL when no upstream answered, FORMERR for a malformed query) echoing the question.</summary>
    public static byte[] Error(ReadOnlySpan<byte> query, int rcode)
    {
        var q = ReadQuestion(query);
        var response = new byte[q?.End ?? 12];
        query[..response.Length].CopyTo(response);
        WriteHeader(response, q?.RecursionDesired ?? false, rcode, 0);
        if (q is null)
            BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), 0);
        return response;
    }

    private static void WriteHeader(byte[] r, bool recursionDesired, int rcode, ushort answers)
    {
        var flags = (ushort)(0x8000 | 0x0400 /* authoritative */ | 0x0080 /* recursion available */ | (recursionDesired ? 0x0100 : 0) | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(6), answers);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(10), 0);
    }

    /// <summary>A query for tests and the forwarder's checks: one question, recursion desired.</summary>
    public static byte[] Query(ushort id, string name, ushort type = TypeA)
    {
        var ms = new MemoryStream();
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        ms.Write(header);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            ms.WriteByte((byte)label.Length);
            ms.Write(Encoding.ASCII.GetBytes(label));
        }
        ms.WriteByte(0);
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(tail, type);
        BinaryPrimitives.WriteUInt16BigEndian(tail.AsSpan(2), ClassIn);
        ms.Write(tail);
        return ms.ToArray();
    }
}
