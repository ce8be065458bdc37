namespace ContainerConsole.Server.Users;

/// <summary>
/// Where users are kept. A JSON file for now (<see cref="JsonFileUserStore"/>); the EF Core store of the
/// full server replaces it behind this interface.
/// </summary>
public interface IUserStore
{
    /// <summary>Finds a user by sign-in name (case-insensitive).</summary>
    Task<UserRecord?> FindByNameAsync(string userName, CancellationToken cancellationToken);

    Task<UserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);

    /// <summary>Adds a user.</summary>
    /// <exception cref="InvalidOperationException">A user with that name or id exists.</exception>
    Task CreateAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Replaces the user with the same id.</summary>
    /// <exception cref="KeyNotFoundException">No user has that id.</exception>
    Task UpdateAsync(UserRecord user, CancellationToken cancellationToken);
}
