using System.Collections.Concurrent;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Restart policies as dockerd applies them: the decision after an exit, the backoff between restarts
/// (100 ms doubling up to a minute, back to 100 ms once a run lasted 10 s) and the pending restarts.
/// </summary>
public sealed class RestartManager(ILogger<RestartManager> log)
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ResetAfterRunning = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _pending = new();
    // a restart whose wait is over but whose start has not yet taken the container's lock: a user's stop, start or
    // removal in that gap must still call it off, or it starts the container with the old count behind the user's back
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _starting = new();
    private readonly ConcurrentDictionary<string, bool> _stoppedByUser = new();
    // the user's stop, start or removal against a restart being scheduled or ending its wait: one happens first, and a
    // token is only ever canceled before it is disposed
    private readonly Lock _gate = new();

    /// <summary>
    /// Whether a container that stopped is started again. <paramref name="canceled"/>: the user stopped or killed it in this
    /// agent's lifetime (no policy restarts it then); <paramref name="manuallyStopped"/>: the user stopped it at some time,
    /// which keeps unless-stopped down across agent restarts while always comes back (dockerd's rule).
    /// </summary>
    public static bool ShouldRestart(RestartPolicy? policy, int exitCode, bool manuallyStopped, bool canceled, int restartCount) =>
        !canceled && (policy?.Name ?? "no") switch
        {
            "always" => true,
            "unless-stopped" => !manuallyStopped,
            "on-failure" => exitCode != 0 && (policy!.MaximumRetryCount == 0 || restartCount < policy.MaximumRetryCount),
            _ => false,
        };

    /// <summary>The wait before the next restart, given the previous one and how long the container ran.</summary>
    public static TimeSpan NextDelay(TimeSpan previous, TimeSpan ranFor)
    {
        if (ranFor >= ResetAfterRunning)
            previous = TimeSpan.Zero;
        var next = previous == TimeSpan.Zero ? FirstDelay : previous * 2;
        return next > MaxDelay ? MaxDelay : next;
    }

    /// <summary>
    /// Advances the container's backoff and runs <paramref name="restart"/> after it, unless canceled meanwhile. The token
    /// given to <paramref name="restart"/> stays cancelable by <see cref="StoppedByUser"/> and <see cref="Reset"/> until it
    /// returns: the restart checks it under the container's lock before it starts anything.
    /// </summary>
    public TimeSpan? Schedule(string id, TimeSpan ranFor, Func<CancellationToken, Task> restart)
    {
        var cts = new CancellationTokenSource();
        TimeSpan delay;
        lock (_gate)
        {
            // the user's stop may have come since the caller decided to restart: then nothing is scheduled
            if (_stoppedByUser.ContainsKey(id))
                return null;
            delay = _delays.AddOrUpdate(id, _ => NextDelay(TimeSpan.Zero, ranFor), (_, previous) => NextDelay(previous, ranFor));
            if (_pending.TryRemove(id, out var older))
                older.Cancel();
            _pending[id] = cts;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, cts.Token);
                lock (_gate)
                {
                    if (!_pending.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, cts)))
                        return; // replaced by a newer schedule
                    _starting[id] = cts;
                }
                await restart(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                log.LogWarning("restarting container {Id} failed: {Message}", id, e.Message);
            }
            finally
            {
                lock (_gate)
                    _starting.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, cts));
                cts.Dispose();
            }
        });
        return delay;
    }

    public bool IsPending(string id) => _pending.ContainsKey(id);

    /// <summary>A user stop or kill: no pending restart goes ahead, and the next exit is final for this agent's lifetime.</summary>
    public void StoppedByUser(string id)
    {
        lock (_gate)
        {
            _stoppedByUser[id] = true;
            Cancel(id);
        }
    }

    public bool IsStoppedByUser(string id) => _stoppedByUser.ContainsKey(id);

    /// <summary>A user start (or removal): the policy applies again and the backoff begins anew.</summary>
    public void Reset(string id)
    {
        lock (_gate)
        {
            Cancel(id);
            _stoppedByUser.TryRemove(id, out _);
            _delays.TryRemove(id, out _);
        }
    }

    private void Cancel(string id) // under _gate
    {
        if (_pending.TryRemove(id, out var cts))
            cts.Cancel();
        if (_starting.TryGetValue(id, out var starting))
            starting.Cancel();
    }
}
