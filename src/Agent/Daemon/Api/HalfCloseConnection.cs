using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace ContainerConsole.Agent.Api;

/// <summary>Set on a connection whose request took it out of HTTP (attach, exec start).</summary>
public interface IHijackFeature
{
    bool Hijacked { get; set; }
}

/// <summary>
/// Docker clients half-close a hijacked connection when their stdin ends (`echo hi | docker run -i`)
/// and keep reading the process's output. Kestrel takes a client's FIN for the end of the connection
/// and aborts the request. This connection middleware hides the FIN from the HTTP layer once a request
/// hijacked the connection; the hijacker sees it as the end of its input only.
/// </summary>
public sealed class HalfCloseConnection : ConnectionContext, IHijackFeature
{
    private readonly ConnectionContext _inner;
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    private HalfCloseConnection(ConnectionContext inner)
    {
        _inner = inner;
        inner.Features.Set<IHijackFeature>(this);
        inner.ConnectionClosed.Register(() =>
        {
            if (!Hijacked)
                Close();
        });
    }

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection => next(new HalfCloseConnection(connection));

    public bool Hijacked { get; set; }

    public override string ConnectionId { get => _inner.ConnectionId; set => _inner.ConnectionId = value; }
    public override IFeatureCollection Features => _inner.Features;
    public override IDictionary<object, object?> Items { get => _inner.Items; set => _inner.Items = value; }
    public override IDuplexPipe Transport { get => _inner.Transport; set => _inner.Transport = value; }
    public override CancellationToken ConnectionClosed { get => _closed.Token; set { } }
    public override EndPoint? LocalEndPoint { get => _inner.LocalEndPoint; set => _inner.LocalEndPoint = value; }
    public override EndPoint? RemoteEndPoint { get => _inner.RemoteEndPoint; set => _inner.RemoteEndPoint = value; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _inner.Abort(abortReason);
        Close();
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        lock (_lock)
        {
            _disposed = true;
            _closed.Dispose();
        }
    }

    private void Close()
    {
        lock (_lock)
            if (!_disposed)
                _closed.Cancel();
    }
}
