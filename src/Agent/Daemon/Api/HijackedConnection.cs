using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using ContainerConsole.Agent.Engine;
using Microsoft.AspNetCore.Connections.Features;

namespace ContainerConsole.Agent.Api;

/// <summary>
/// The client's connection taken out of HTTP, as dockerd hijacks it for attach and exec start:
/// after "101 UPGRADED" (clients that sent Upgrade: tcp) or "200 OK" (older ones) the bytes
/// are the process's streams. Kestrel's upgrade feature refuses requests with a body, and
/// exec start has one, so the transport is taken directly once the request body was read.
/// </summary>
public sealed class HijackedConnection
{
    private readonly HttpContext _http;
    private readonly IDuplexPipe _transport;

    private HijackedConnection(HttpContext http, IDuplexPipe transport) => (_http, _transport) = (http, transport);

    public static async Task<HijackedConnection> TakeAsync(HttpContext http, string contentType, CancellationToken ct)
    {
        var transport = http.Features.Get<IConnectionTransportFeature>()?.Transport
                        ?? throw new EngineException(500, "this connection cannot be hijacked");
        if (http.Features.Get<IHijackFeature>() is { } hijack)
            hijack.Hijacked = true;
        var upgrade = http.Request.Headers.Upgrade.Count > 0;
        var head = upgrade
            ? $"HTTP/1.1 101 UPGRADED\r\nContent-Type: {contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
            : $"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\n\r\n";
        await transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        return new HijackedConnection(http, transport);
    }

    /// <summary>Writes and flushes; false once the client is gone.</summary>
    public async Task<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var result = await _transport.Output.WriteAsync(data, ct);
        return !result.IsCompleted && !result.IsCanceled;
    }

    /// <summary>The client's next input; null at its end (it closed its write side, or the connection).</summary>
    public async Task<byte[]?> ReadAsync(CancellationToken ct)
    {
        var result = await _transport.Input.ReadAsync(ct);
        if (result.Buffer.IsEmpty && (result.IsCompleted || result.IsCanceled))
            return null;
        var bytes = result.Buffer.ToArray();
        _transport.Input.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    /// <summary>
    /// Ends the stream: the transport sends what is buffered and closes the socket; only then is
    /// the request aborted (an abort right away could drop the last output).
    /// </summary>
    public async Task CloseAsync()
    {
        await _transport.Output.CompleteAsync();
        var socket = _http.Features.Get<IConnectionSocketFeature>()?.Socket;
        for (var i = 0; i < 500 && socket is not null && !socket.SafeHandle.IsClosed; i++)
            await Task.Delay(10);
        _http.Abort();
    }
}
