using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.Users;

/// <summary>
/// Users in the database. Changes that could remove the last enabled admin check and write in one transaction. Changing or
/// deleting a user clears the <see cref="TokenCheckCache"/>, so their tokens carry the new role (or stop) at once.
/// </summary>
public sealed class EfUserStore(IDbContextFactory<ConsoleDbContext> contexts, TokenCheckCache checks) : IUserStore
{
    public async Task<UserRecord?> FindByNameAsync(string userName, CancellationToken cancellationToken)
    {
        var normalized = UserEntity.Normalize(userName);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedUserName == normalized, cancellationToken);
        return user is null ? null : ToRecord(user);
    }

    public async Task<UserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        return user is null ? null : ToRecord(user);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.CountAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.NormalizedUserName).ToListAsync(cancellationToken);
        return users.ConvertAll(ToRecord);
    }

    public async Task CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var normalized = UserEntity.Normalize(user.UserName);
        if (await db.Users.AnyAsync(u => u.Id == user.Id || u.NormalizedUserName == normalized, cancellationToken))
        {
            throw new InvalidOperationException($"User '{user.UserName}' exists.");
        }

        db.Users.Add(new UserEntity
        {
            Id = user.Id,
            UserName = user.UserName,
            NormalizedUserName = normalized,
            PasswordHash = user.PasswordHash,
            Role = user.Role,
            CreatedAt = user.CreatedAt,
            Disabled = user.Disabled,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Another request created the same name between the check and the insert (unique index).
            throw new InvalidOperationException($"User '{user.UserName}' exists.", ex);
        }
    }

    public async Task UpdateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entity = await db.Users.FirstOrDefaultAsync(u => u.Id == user.Id, cancellationToken)
            ?? throw new KeyNotFoundException($"No user has id '{user.Id}'.");
        var staysEnabledAdmin = user.Role == Roles.Admin && !user.Disabled;
        if (IsEnabledAdmin(entity) && !staysEnabledAdmin && await IsLastAdminAsync(db, cancellationToken))
        {
            throw new LastAdminException();
        }

        entity.UserName = user.UserName;
        entity.NormalizedUserName = UserEntity.Normalize(user.UserName);
        entity.PasswordHash = user.PasswordHash;
        entity.Role = user.Role;
        entity.Disabled = user.Disabled;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        checks.Invalidate();
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entity = await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken)
            ?? throw new KeyNotFoundException($"No user has id '{id}'.");
        if (IsEnabledAdmin(entity) && await IsLastAdminAsync(db, cancellationToken))
        {
            throw new LastAdminException();
        }

        await db.ApiTokens.Where(t => t.UserId == id).ExecuteDeleteAsync(cancellationToken);
        db.Users.Remove(entity);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        checks.Invalidate();
    }

    private static bool IsEnabledAdmin(UserEntity user) => user.Role == Roles.Admin && !user.Disabled;

    // A disabled admin cannot manage users, so only enabled admins count.
    private static async Task<bool> IsLastAdminAsync(ConsoleDbContext db, CancellationToken cancellationToken) =>
        await db.Users.CountAsync(u => u.Role == Roles.Admin && !u.Disabled, cancellationToken) <= 1;

    private static UserRecord ToRecord(UserEntity user) =>
        new(user.Id, user.UserName, user.PasswordHash, user.Role, user.CreatedAt, user.Disabled);
}
