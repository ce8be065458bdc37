using ContainerConsole.Server.Hosting;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Auth;

/// <summary>
/// Locks a user name after <see cref="ServerOptions.LockoutMaxFailures"/> failed sign-ins within
/// <see cref="ServerOptions.LockoutWindow"/>, for <see cref="ServerOptions.LockoutDuration"/>. Kept in memory:
/// a restart lifts every lock. Unknown names are tracked like known ones, so the answer tells nothing
/// about which users exist.
/// </summary>
public sealed class LoginThrottle(IOptions<ServerOptions> options, TimeProvider time)
{
    private const int PruneThreshold = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When the user may try again, or null when not locked.</summary>
    public DateTimeOffset? LockedUntil(string userName)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            return _entries.TryGetValue(userName, out var entry) && entry.LockedUntil > now ? entry.LockedUntil : null;
        }
    }

    /// <summary>Counts a failure; returns the end of the lock when this failure locked the user.</summary>
    public DateTimeOffset? RecordFailure(string userName)
    {
        var settings = options.Value;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_entries.Count >= PruneThreshold)
            {
                Prune(now, settings.LockoutWindow);
            }

            if (!_entries.TryGetValue(userName, out var entry))
            {
                entry = new Entry();
                _entries[userName] = entry;
            }

            entry.Failures.RemoveAll(at => now - at >= settings.LockoutWindow);
            entry.Failures.Add(now);
            if (entry.Failures.Count < settings.LockoutMaxFailures)
            {
                return null;
            }

            entry.Failures.Clear();
            entry.LockedUntil = now + settings.LockoutDuration;
            return entry.LockedUntil;
        }
    }

    public void RecordSuccess(string userName)
    {
        lock (_gate)
        {
            _entries.Remove(userName);
        }
    }

    private void Prune(DateTimeOffset now, TimeSpan window)
    {
        foreach (var (name, entry) in _entries.ToList())
        {
            if (entry.LockedUntil <= now && entry.Failures.TrueForAll(at => now - at >= window))
            {
                _entries.Remove(name);
            }
        }
    }

    private sealed class Entry
    {
        public List<DateTimeOffset> Failures { get; } = [];

        public DateTimeOffset LockedUntil { get; set; } = DateTimeOffset.MinValue;
    }
}
