using System.Buffers.Binary;

namespace ContainerConsole.Bench;

/// <summary>Reads Docker's multiplexed log stream (8-byte header: stream, 3 zero bytes, big-endian length) into lines.
/// A last line without its newline (a writer killed mid-line) is not given.</summary>
public sealed class LogFrameReader(Stream stream)
{
    public async Task ReadLinesAsync(Action<ReadOnlySpan<byte>> line)
    {
        var header = new byte[8];
        var frame = new byte[64 * 1024];
        var pending = new List<byte>();
        while (await ReadExactlyOrEndAsync(header))
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            if (frame.Length < length)
                frame = new byte[length];
            if (!await ReadExactlyOrEndAsync(frame.AsMemory(0, length)))
                throw new EndOfStreamException("log stream ended inside a frame");
            Split(frame.AsSpan(0, length), pending, line);
        }
    }

    private static void Split(ReadOnlySpan<byte> data, List<byte> pending, Action<ReadOnlySpan<byte>> line)
    {
        while (data.Length > 0)
        {
            var nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                pending.AddRange(data);
                return;
            }
            if (pending.Count > 0)
            {
                pending.AddRange(data[..nl]);
                line(pending.ToArray());
                pending.Clear();
            }
            else
            {
                line(data[..nl]);
            }
            data = data[(nl + 1)..];
        }
    }

    private async Task<bool> ReadExactlyOrEndAsync(Memory<byte> buffer)
    {
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read == 0)
            return false;
        if (read < buffer.Length)
            throw new EndOfStreamException("log stream ended inside a frame");
        return true;
    }
}
