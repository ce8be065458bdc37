namespace ContainerConsole.Server.Users;

/// <summary>Where users are kept (the database, see <see cref="EfUserStore"/>).</summary>
public interface IUserStore
{
    /// <summary>Finds a user by sign-in name (case-insensitive).</summary>
    Task<UserRecord?> FindByNameAsync(string userName, CancellationToken cancellationToken);

    Task<UserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);

    /// <summary>Every user, by name.</summary>
    Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Adds a user.</summary>
    /// <exception cref="InvalidOperationException">A user with that name or id exists.</exception>
    Task CreateAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Replaces the user with the same id.</summary>
    /// <exception cref="KeyNotFoundException">No user has that id.</exception>
    /// <exception cref="LastAdminException">The change would leave no admin.</exception>
    Task UpdateAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Removes a user and their tokens.</summary>
    /// <exception cref="KeyNotFoundException">No user has that id.</exception>
    /// <exception cref="LastAdminException">The user is the last admin.</exception>
    Task DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>Refused because no admin would be left to manage users.</summary>
public sealed class LastAdminException() : InvalidOperationException("This is the last admin; make another user admin first.");
