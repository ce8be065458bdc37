using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.Auth;

/// <summary>
/// Tokens in the database, by their SHA-256. Expired login tokens are pruned as new ones are issued. Every revocation
/// clears the <see cref="TokenCheckCache"/>, so the token is refused on the next request.
/// </summary>
public sealed class EfApiTokenStore(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time, TokenCheckCache checks) : IApiTokenStore
{
    /// <summary>Last use is written at most this often per token, not on every request.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<IssuedApiToken> IssueAsync(string userId, string name, string kind, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = ApiTokenSecret.Create();
        var entity = new ApiTokenEntity
        {
            Id = Guid.NewGuid().ToString("N"),
            UserId = userId,
            Name = name,
            Kind = kind,
            TokenHash = ApiTokenSecret.Digest(token),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Sign-in tokens pile up otherwise; personal ones stay listed (expired) until revoked or their user goes.
        await db.ApiTokens.Where(t => t.Kind == ApiTokenKinds.Login && t.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        db.ApiTokens.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedApiToken(entity.Id, token, expiresAt);
    }

    public async Task<ApiTokenGrant?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var digest = ApiTokenSecret.Digest(token);
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await db.ApiTokens.FirstOrDefaultAsync(t => t.TokenHash == digest, cancellationToken);
        if (entity is null || entity.RevokedAt is not null || entity.ExpiresAt <= now)
        {
            return null;
        }

        if (entity.LastUsedAt is null || now - entity.LastUsedAt.Value >= LastUsedResolution)
        {
            entity.LastUsedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        return new ApiTokenGrant(entity.Id, entity.UserId, entity.CreatedAt, entity.ExpiresAt);
    }

    public async Task RevokeAsync(string token, CancellationToken cancellationToken)
    {
        var digest = ApiTokenSecret.Digest(token);
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.ApiTokens.Where(t => t.TokenHash == digest && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        checks.Invalidate();
    }

    public async Task<bool> RevokeByIdAsync(string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (entity is null)
        {
            return false;
        }

        entity.RevokedAt ??= now;
        await db.SaveChangesAsync(cancellationToken);
        checks.Invalidate();
        return true;
    }

    public async Task RevokeAllAsync(string userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.ApiTokens.Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        checks.Invalidate();
    }

    public async Task<ApiTokenInfo?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Project(db, db.ApiTokens.Where(t => t.Id == id)).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(string? userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        IQueryable<ApiTokenEntity> tokens = db.ApiTokens;
        if (userId is not null)
        {
            tokens = tokens.Where(t => t.UserId == userId);
        }

        return await Project(db, tokens.OrderByDescending(t => t.CreatedAt).ThenBy(t => t.Id)).ToListAsync(cancellationToken);
    }

    private static IQueryable<ApiTokenInfo> Project(ConsoleDbContext db, IQueryable<ApiTokenEntity> tokens) =>
        from t in tokens.AsNoTracking()
        join u in db.Users on t.UserId equals u.Id
        select new ApiTokenInfo(t.Id, t.UserId, u.UserName, t.Name, t.Kind, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt);
}
