using System.Net.Sockets;
using System.Text;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// A Docker API client's side of a hijacked connection (attach, exec start), spoken by hand:
/// the request with Upgrade: tcp, the 101 answer, then the streams (demultiplexed unless a terminal).
/// </summary>
public sealed class HijackClient : IDisposable
{
    private readonly Socket _socket;
    private readonly bool _tty;
    private readonly List<byte> _pending = [];
    private readonly StringBuilder _stdout = new(), _stderr = new();

    public string Head { get; }
    public string Stdout => _stdout.ToString();
    public string Stderr => _stderr.ToString();
    public bool Ended { get; private set; }

    private HijackClient(Socket socket, bool tty, string head) => (_socket, _tty, Head) = (socket, tty, head);

    /// <summary>upgrade: false is an older client that sends no Upgrade header and gets "200 OK" and the raw stream.</summary>
    public static async Task<HijackClient> OpenAsync(AgentProcess agent, string pathAndQuery, bool tty, string? jsonBody = null, bool upgrade = true)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(agent.Socket));
        var body = jsonBody is null ? "" : $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(jsonBody)}\r\n";
        await s.SendAsync(Encoding.UTF8.GetBytes($"POST /v1.45/{pathAndQuery} HTTP/1.1\r\nHost: agent\r\n{(upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "")}{body}\r\n{jsonBody}"));
        var head = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString([.. head]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await s.ReceiveAsync(one) == 0)
                break;
            head.Add(one[0]);
        }
        return new HijackClient(s, tty, Encoding.ASCII.GetString([.. head]));
    }

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Half-close, as the docker CLI does when its stdin ends.</summary>
    public void CloseWrite() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until stdout shows the text (or the stream ends, or the time is up); returns stdout.</summary>
    public async Task<string> ReadUntilAsync(string text, int seconds = 20)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var buf = new byte[8192];
        try
        {
            while (!Ended && !Stdout.Contains(text, StringComparison.Ordinal))
            {
                var n = await _socket.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                if (n == 0)
                    Ended = true;
                Absorb(buf.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return Stdout;
    }

    /// <summary>Reads to the end of the stream (the agent closes it when the process's output ends).</summary>
    public Task<string> ReadToEndAsync(int seconds = 30) => ReadUntilAsync("\0never\0", seconds);

    private void Absorb(ReadOnlySpan<byte> data)
    {
        if (_tty)
        {
            _stdout.Append(Encoding.UTF8.GetString(data));
            return;
        }
        _pending.AddRange(data);
        while (_pending.Count >= 8)
        {
            var len = (_pending[4] << 24) | (_pending[5] << 16) | (_pending[6] << 8) | _pending[7];
            if (_pending.Count < 8 + len)
                break;
            var text = Encoding.UTF8.GetString([.. _pending.GetRange(8, len)]);
            (_pending[0] == 2 ? _stderr : _stdout).Append(text);
            _pending.RemoveRange(0, 8 + len);
        }
    }

    public void Dispose() => _socket.Dispose();
}
