using System.Collections.Concurrent;
using ContainerConsole.Server.Users;

namespace ContainerConsole.Server.Auth;

/// <summary>
/// Bearer tokens this server checked a moment ago, with their user, keyed by the token's SHA-256: without it every
/// API call costs two database queries. An entry lives <see cref="Lifetime"/> at most and never past the token's
/// expiry. The stores call <see cref="Invalidate"/> after every write that could withdraw or change a grant (revoking
/// tokens, changing or deleting a user), so those take effect on this server at once; another server on the same
/// database (PostgreSQL) sees them within <see cref="Lifetime"/>.
/// </summary>
public sealed class TokenCheckCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Bounds memory if many tokens are in use at once; past it, stale entries go (or all of them).</summary>
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>A token and user as the database had them.</summary>
    public sealed record TokenCheck(ApiTokenGrant Grant, UserRecord User);

    private sealed record Entry(TokenCheck Check, DateTimeOffset Until);

    /// <summary>Changes with every <see cref="Invalidate"/>; read it before asking the database, hand it to <see cref="Add"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The cached check of a token digest, or null when there is none still good now.</summary>
    public TokenCheck? Find(string digest)
    {
        if (!_entries.TryGetValue(digest, out var entry))
        {
            return null;
        }

        if (time.GetUtcNow() < entry.Until)
        {
            return entry.Check;
        }

        _entries.TryRemove(KeyValuePair.Create(digest, entry));
        return null;
    }

    /// <summary>
    /// Keeps a check read from the database since <paramref name="generation"/>. If a write invalidated the cache
    /// meanwhile, the check may predate it and is not kept.
    /// </summary>
    public void Add(string digest, TokenCheck check, long generation)
    {
        var now = time.GetUtcNow();
        var until = now + Lifetime < check.Grant.ExpiresAt ? now + Lifetime : check.Grant.ExpiresAt;
        if (until <= now)
        {
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            Prune(now);
        }

        _entries[digest] = new Entry(check, until);
        // Invalidate bumps the generation before clearing: either it clears this entry, or this sees the bump.
        if (Generation != generation)
        {
            _entries.TryRemove(digest, out _);
        }
    }

    /// <summary>Forgets every check: a token was revoked or a user changed. Such writes are rare; checks are cheap to redo.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (digest, entry) in _entries)
        {
            if (entry.Until <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(digest, entry));
            }
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
    }
}
