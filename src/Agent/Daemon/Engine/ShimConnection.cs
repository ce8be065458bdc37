using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// A client of a monitor's attach socket (ccshim, SOCK_SEQPACKET): each message from the
/// monitor is one stream byte (1 stdout, 2 stderr) and the output bytes; to it go
/// 'i'+bytes (stdin), 'c' (close stdin) and 'r'+"ROWS COLS" (resize the terminal).
/// </summary>
public sealed class ShimConnection : IDisposable
{
    /// <summary>The monitor reads at most this much input per message.</summary>
    public const int MaxInput = 16384;
    private const int MaxOutput = 16385;

    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[MaxOutput + 1];
    private readonly SemaphoreSlim _sending = new(1, 1);

    private ShimConnection(Socket socket) => _socket = socket;

    public static ShimConnection Connect(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
            return new ShimConnection(s);
        }
        catch (SocketException e)
        {
            s.Dispose();
            throw new EngineException(409, $"cannot attach: the process's monitor does not answer ({e.SocketErrorCode})");
        }
    }

    /// <summary>The next output chunk; null once the monitor closed the connection (the process ended).</summary>
    public async Task<(int Stream, ReadOnlyMemory<byte> Data)?> ReceiveAsync(CancellationToken ct)
    {
        var n = await _socket.ReceiveAsync(_receive, SocketFlags.None, ct);
        return n == 0 ? null : (_receive[0], _receive.AsMemory(1, n - 1));
    }

    public async Task SendInputAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        for (var off = 0; off < data.Length; off += MaxInput)
        {
            var chunk = data.Slice(off, Math.Min(MaxInput, data.Length - off));
            var message = new byte[chunk.Length + 1];
            message[0] = (byte)'i';
            chunk.CopyTo(message.AsMemory(1));
            await SendAsync(message, ct);
        }
    }

    public Task CloseStdinAsync(CancellationToken ct) => SendAsync("c"u8.ToArray(), ct);

    public Task ResizeAsync(int height, int width, CancellationToken ct) =>
        SendAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"r{height} {width}")), ct);

    private async Task SendAsync(byte[] message, CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(message, SocketFlags.None, ct);
        }
        finally
        {
            _sending.Release();
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _sending.Dispose();
    }
}
