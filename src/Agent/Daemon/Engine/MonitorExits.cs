using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Wakes the exit watcher the moment a container's or an exec's monitor exits (it writes its exit record just before),
/// rather than on the watcher's next periodic scan: `docker run --rm` and `docker wait` answer without a polling delay.
/// </summary>
public sealed class MonitorExits : IDisposable
{
    private readonly ProcessExitNotifier _notifier;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MonitorExits() => _notifier = new ProcessExitNotifier(_ => Signal());

    public void Watch(ProcessIdentity monitor)
    {
        if (!_notifier.Watch(monitor))
            Signal(); // gone already: its exit record is there to be read
    }

    private void Signal() => Volatile.Read(ref _signal).TrySetResult();

    /// <summary>Until a monitor exits or <paramref name="timeout"/> passes. Exits signalled from here on wake the next wait,
    /// so the scan that follows this call misses none.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var current = Volatile.Read(ref _signal);
        try
        {
            await current.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
        }
        Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
    }

    public void Dispose() => _notifier.Dispose();
}
