namespace ContainerConsole.Server.Hubs;

/// <summary>
/// A read-only stream over the chunks a SignalR client streams to a hub method, so an upload (an image archive, a
/// build context) goes on to the agent as it arrives, never held whole in memory.
/// </summary>
internal sealed class UploadStream(IAsyncEnumerable<byte[]> chunks, CancellationToken cancellationToken) : Stream
{
    private readonly IAsyncEnumerator<byte[]> _chunks = chunks.GetAsyncEnumerator(cancellationToken);
    private ReadOnlyMemory<byte> _current = ReadOnlyMemory<byte>.Empty;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            if (_ended || !await _chunks.MoveNextAsync())
            {
                _ended = true;
                return 0;
            }

            _current = _chunks.Current ?? [];
        }

        var count = Math.Min(buffer.Length, _current.Length);
        _current[..count].CopyTo(buffer);
        _current = _current[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // HttpClient reads asynchronously; a synchronous read would block a thread on the client's next chunk.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read the upload asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _chunks.DisposeAsync();
        await base.DisposeAsync();
    }
}
