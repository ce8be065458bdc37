using System.IO.Pipelines;
using System.Security.Cryptography;

namespace ContainerConsole.Images.Layers;

/// <summary>Read-only stream base: everything but reading is unsupported.</summary>
public abstract class ReadOnlyStreamBase : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public abstract override int Read(Span<byte> buffer);
    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default);
}

/// <summary>Replays a few already-read bytes (the magic number) before the rest of the inner stream.</summary>
internal sealed class PrefixStream(byte[] prefix, Stream inner) : ReadOnlyStreamBase
{
    private int _pos;

    public override int Read(Span<byte> buffer)
    {
        if (_pos < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _pos);
            prefix.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }
        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_pos < prefix.Length)
            return ValueTask.FromResult(Read(buffer.Span));
        return inner.ReadAsync(buffer, ct);
    }
}

/// <summary>Pass-through stream that sha256-hashes every byte read and counts them.</summary>
internal sealed class HashingStream(Stream inner) : ReadOnlyStreamBase
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Add(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        Add(buffer.Span[..n]);
        return n;
    }

    private void Add(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(data);
        BytesRead += data.Length;
    }

    /// <summary>"sha256:" + lowercase hex of everything read so far.</summary>
    public string Digest() => "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// Pass-through stream that also writes every byte read into <paramref name="copy"/> (a second reader on another thread,
/// e.g. an unpack while the blob is stored). When that reader stops, the copying stops; the caller completes the writer.
/// </summary>
internal sealed class TeeStream(Stream inner, PipeWriter copy) : ReadOnlyStreamBase
{
    private bool _copying = true;

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("TeeStream is read asynchronously");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        if (n > 0 && _copying && (await copy.WriteAsync(buffer[..n], ct).ConfigureAwait(false)).IsCompleted)
            _copying = false;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
