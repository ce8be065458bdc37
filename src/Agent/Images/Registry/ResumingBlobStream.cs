namespace ContainerConsole.Images.Registry;

/// <summary>
/// Reads a blob over HTTP and, when the connection breaks mid-body, reopens it with a Range request from the bytes
/// already delivered (at most <see cref="MaxResumes"/> times). The caller verifies the whole digest at the end; a
/// server that ignores Range is handled by skipping what was already delivered.
/// </summary>
public sealed class ResumingBlobStream : ContainerConsole.Images.Layers.ReadOnlyStreamBase
{
    public const int MaxResumes = 5;

    private readonly Func<long, CancellationToken, Task<(Stream Body, long SkipBytes)>> _openAt;
    private readonly IProgress<long>? _progress;
    private readonly long? _expectedSize;
    private Stream _body;
    private long _position;
    private int _resumes;

    private ResumingBlobStream(Stream body, Func<long, CancellationToken, Task<(Stream, long)>> openAt, long? expectedSize, IProgress<long>? progress)
    {
        _body = body;
        _expectedSize = expectedSize;
        _openAt = openAt;
        _progress = progress;
    }

    /// <summary>
    /// Opens the stream at offset 0. <paramref name="openAt"/> returns the body from an offset and how many leading bytes
    /// of it to discard. A body that ends cleanly before <paramref name="expectedSize"/> counts as broken too.
    /// </summary>
    public static async Task<ResumingBlobStream> OpenAsync(Func<long, CancellationToken, Task<(Stream Body, long SkipBytes)>> openAt,
        long? expectedSize, IProgress<long>? progress, CancellationToken ct)
    {
        var (body, skip) = await openAt(0, ct);
        if (skip != 0)
        {
            await body.DisposeAsync();
            throw new InvalidOperationException("a fresh blob request cannot skip bytes");
        }

        return new ResumingBlobStream(body, openAt, expectedSize, progress);
    }

    /// <summary>How many times the download was resumed.</summary>
    public int Resumes => _resumes;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (true)
        {
            int n;
            try
            {
                n = await _body.ReadAsync(buffer, ct);
                if (n == 0 && buffer.Length > 0 && _position < _expectedSize)
                {
                    throw new IOException($"blob body ended after {_position} of {_expectedSize} bytes");
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested && _resumes < MaxResumes)
            {
                _resumes++;
                await _body.DisposeAsync();
                var (body, skip) = await _openAt(_position, ct);
                _body = body;
                await SkipAsync(skip, ct);
                continue;
            }

            _position += n;
            if (n > 0)
            {
                _progress?.Report(_position);
            }

            return n;
        }
    }

    public override int Read(Span<byte> buffer)
    {
        var copy = new byte[buffer.Length]; // sync reads are rare here: the layer pipeline reads asynchronously
        var n = ReadAsync(copy).AsTask().GetAwaiter().GetResult();
        copy.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    private async Task SkipAsync(long count, CancellationToken ct)
    {
        var scratch = new byte[81920];
        while (count > 0)
        {
            var n = await _body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), ct);
            if (n == 0)
            {
                throw new IOException("blob body ended before the resume offset");
            }

            count -= n;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync();
        await base.DisposeAsync();
    }
}
