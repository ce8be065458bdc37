namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Attach connections to containers' monitors. A client may attach before the container
/// runs (docker run attaches, then starts): it waits here and is connected between the
/// monitor's create and the container's start, so it sees the first byte of output.
/// </summary>
public sealed class AttachHub(AgentOptions options)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _live = [];
    private readonly Dictionary<string, List<TaskCompletionSource<ShimConnection>>> _waiting = [];

    /// <summary>Connects now if the container's monitor is up, else at its next start.</summary>
    public Task<ShimConnection> AttachAsync(string id, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_live.Contains(id))
                return Task.FromResult(ShimConnection.Connect(options.AttachSocket(id)));
            var tcs = new TaskCompletionSource<ShimConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryGetValue(id, out var list))
                _waiting[id] = list = [];
            list.Add(tcs);
            ct.Register(() =>
            {
                lock (_lock)
                    list.Remove(tcs);
                tcs.TrySetCanceled(ct);
            });
            return tcs.Task;
        }
    }

    /// <summary>The monitor listens and the container has not run yet: connect everyone waiting.</summary>
    public void Started(string id)
    {
        List<TaskCompletionSource<ShimConnection>>? waiting;
        lock (_lock)
        {
            _live.Add(id);
            _waiting.Remove(id, out waiting);
        }
        foreach (var tcs in waiting ?? [])
        {
            try
            {
                var connection = ShimConnection.Connect(options.AttachSocket(id));
                if (!tcs.TrySetResult(connection))
                    connection.Dispose();
            }
            catch (EngineException e)
            {
                tcs.TrySetException(e);
            }
        }
    }

    public void Stopped(string id)
    {
        lock (_lock)
            _live.Remove(id);
    }

    /// <summary>The container is gone: nobody waits for it any more.</summary>
    public void Removed(string id)
    {
        List<TaskCompletionSource<ShimConnection>>? waiting;
        lock (_lock)
        {
            _live.Remove(id);
            _waiting.Remove(id, out waiting);
        }
        foreach (var tcs in waiting ?? [])
            tcs.TrySetException(EngineException.NoSuchContainer(id));
    }

    /// <summary>One message to a running process's monitor (resize), on a connection of its own.</summary>
    public async Task ResizeAsync(string socketId, int height, int width, CancellationToken ct)
    {
        using var connection = ShimConnection.Connect(options.AttachSocket(socketId));
        await connection.ResizeAsync(height, width, ct);
    }
}
