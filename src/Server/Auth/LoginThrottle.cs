using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using ContainerConsole.Server.Infrastructure.EntityConfigurations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Auth;

/// <summary>
/// Locks a user name after <see cref="ServerOptions.LockoutMaxFailures"/> failed sign-ins within
/// <see cref="ServerOptions.LockoutWindow"/> (counted from the first failure of the window), for
/// <see cref="ServerOptions.LockoutDuration"/>. The counts and locks live in the database (<c>LoginLockouts</c>), so
/// a restart lifts no lock. Unknown names are tracked like known ones, so the answer tells nothing about which users
/// exist; rows older than the window and their lock are pruned as failures come in. There is no per-address limit.
/// </summary>
public sealed class LoginThrottle(IDbContextFactory<ConsoleDbContext> contexts, IOptions<ServerOptions> options, TimeProvider time)
{
    // One read-modify-write at a time, so concurrent failures of one name are all counted (one server per database).
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>When the user may try again, or null when not locked.</summary>
    public async Task<DateTimeOffset?> LockedUntilAsync(string userName, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = Key(userName);
        var lockedUntil = await db.LoginLockouts.AsNoTracking().Where(l => l.NormalizedUserName == key)
            .Select(l => l.LockedUntil).FirstOrDefaultAsync(cancellationToken);
        return lockedUntil > time.GetUtcNow() ? lockedUntil : null;
    }

    /// <summary>Counts a failure; returns the end of the lock when this failure locked the user.</summary>
    public async Task<DateTimeOffset?> RecordFailureAsync(string userName, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var key = Key(userName);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            await PruneAsync(db, now - settings.LockoutWindow, now, key, cancellationToken);
            var entry = await db.LoginLockouts.FirstOrDefaultAsync(l => l.NormalizedUserName == key, cancellationToken);
            if (entry is null)
            {
                entry = new LoginLockoutEntity { NormalizedUserName = key, WindowStart = now };
                db.LoginLockouts.Add(entry);
            }
            else if (now - entry.WindowStart >= settings.LockoutWindow)
            {
                entry.FailureCount = 0;
                entry.WindowStart = now;
            }

            entry.FailureCount++;
            DateTimeOffset? lockedNow = null;
            if (entry.FailureCount >= settings.LockoutMaxFailures)
            {
                // A new window starts after the lock: the next failures count afresh.
                entry.FailureCount = 0;
                entry.WindowStart = now;
                entry.LockedUntil = lockedNow = now + settings.LockoutDuration;
            }

            await db.SaveChangesAsync(cancellationToken);
            return lockedNow;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RecordSuccessAsync(string userName, CancellationToken cancellationToken)
    {
        var key = Key(userName);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.LoginLockouts.Where(l => l.NormalizedUserName == key).ExecuteDeleteAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Names longer than any user's are still tracked, under their first characters.</summary>
    private static string Key(string userName)
    {
        var key = UserEntity.Normalize(userName);
        return key.Length <= LoginLockoutConfiguration.MaxUserNameLength ? key : key[..LoginLockoutConfiguration.MaxUserNameLength];
    }

    /// <summary>Forgets names whose window and lock are both over, so random names cannot grow the table without bound.</summary>
    private static Task<int> PruneAsync(ConsoleDbContext db, DateTimeOffset windowOpenedBefore, DateTimeOffset now, string keep, CancellationToken cancellationToken) =>
        db.LoginLockouts
            .Where(l => l.NormalizedUserName != keep && l.WindowStart <= windowOpenedBefore && (l.LockedUntil == null || l.LockedUntil <= now))
            .ExecuteDeleteAsync(cancellationToken);
}
