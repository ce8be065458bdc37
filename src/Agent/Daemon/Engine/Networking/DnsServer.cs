using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The embedded DNS server of one user-defined network: containers resolve each other by name, alias and short id, and
/// other names are forwarded to the host's nameservers. dockerd listens on 127.0.0.11 inside every container's
/// namespace (a socket per container plus NAT rules there); this one listens on the network's gateway address in the
/// host's namespace, so one UDP and one TCP socket serve the whole network and containers' resolv.conf names the gateway.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly Func<string, IReadOnlyList<IPAddress>?> _lookup;
    private readonly IReadOnlyList<IPEndPoint> _upstreams;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public IPEndPoint UdpEndPoint => (IPEndPoint)_udp.LocalEndPoint!;
    public IPEndPoint TcpEndPoint => (IPEndPoint)_tcp.LocalEndpoint;

    public DnsServer(IPEndPoint listen, Func<string, IReadOnlyList<IPAddress>?> lookup, IReadOnlyList<IPEndPoint> upstreams, ILogger log)
    {
        (_lookup, _upstreams, _log) = (lookup, upstreams, log);
        _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _tcp = new TcpListener(listen);
        try
        {
            _udp.Bind(listen);
            _tcp.Start();
        }
        catch
        {
            _udp.Dispose();
            _tcp.Stop();
            throw;
        }
        _loops.Add(Task.Run(UdpLoopAsync));
        _loops.Add(Task.Run(TcpLoopAsync));
    }

    /// <summary>The response to one query: the network's answer, else the first upstream's, else SERVFAIL.</summary>
    public async Task<byte[]?> ResolveAsync(byte[] query, CancellationToken ct)
    {
        var local = DnsMessage.Answer(query, _lookup);
        if (local is not null || query.Length < 12)
            return local;
        foreach (var upstream in _upstreams)
        {
            try
            {
                using var s = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await s.ConnectAsync(upstream, timeout.Token);
                await s.SendAsync(query, timeout.Token);
                var buffer = new byte[4096];
                var n = await s.ReceiveAsync(buffer, timeout.Token);
                if (n >= 2 && buffer[0] == query[0] && buffer[1] == query[1])
                    return buffer[..n];
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                _log.LogDebug("DNS upstream {Upstream}: {Message}", upstream, e.Message);
            }
        }
        return DnsMessage.Error(query, DnsMessage.RcodeServFail);
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[4096];
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. ICMP port unreachable from an earlier reply
            }
            var query = buffer[..r.ReceivedBytes];
            var client = r.RemoteEndPoint;
            _ = Task.Run(async () =>
            {
                try
                {
                    if (await ResolveAsync(query, ct) is { } response)
                        await _udp.SendToAsync(response, SocketFlags.None, client, ct);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                }
            }, ct);
        }
    }

    // DNS over TCP: each message has a two-byte length prefix (RFC 1035 4.2.2).
    private async Task TcpLoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using var _ = client;
                try
                {
                    var stream = client.GetStream();
                    var length = new byte[2];
                    while (true)
                    {
                        await stream.ReadExactlyAsync(length, ct);
                        var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                        await stream.ReadExactlyAsync(query, ct);
                        if (await ResolveAsync(query, ct) is not { } response)
                            return;
                        var framed = new byte[response.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
                        response.CopyTo(framed, 2);
                        await stream.WriteAsync(framed, ct);
                    }
                }
                catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
            }, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
