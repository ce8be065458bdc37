namespace ContainerConsole.Web.Services;

/// <summary>A console user as the users page lists it.</summary>
public sealed record UserAccount(string Id, string UserName, string Role, DateTimeOffset CreatedAt, bool Disabled = false);

/// <summary>The roles, most powerful first.</summary>
public static class ConsoleRoles
{
    public static IReadOnlyList<string> All { get; } = ["admin", "operator", "viewer"];
}

/// <summary>
/// User management (admin). Implemented by the server on the REST user API's logic and store: the same validation,
/// the same "last admin" rule; every attempt is checked and audited.
/// </summary>
/// <remarks>Every method throws <see cref="ConsoleAccessDeniedException"/> for a non-admin and <see cref="ConsoleOperationException"/> naming the problem when refused.</remarks>
public interface IUserAdmin
{
    Task<IReadOnlyList<UserAccount>> ListAsync(CancellationToken cancellationToken);

    Task<UserAccount> CreateAsync(string userName, string password, string role, CancellationToken cancellationToken);

    Task SetRoleAsync(string id, string role, CancellationToken cancellationToken);

    /// <summary>Disables (no sign-in, tokens and sessions stop at once) or enables the user; never the last enabled admin.</summary>
    Task SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken);

    /// <summary>Sets the password and revokes every API token of the user.</summary>
    Task ResetPasswordAsync(string id, string password, CancellationToken cancellationToken);

    Task DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>An API token as listed: never its secret.</summary>
public sealed record ApiTokenSummary(string Id, string Name, string Kind, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A token just created; <see cref="Secret"/> is shown this once.</summary>
public sealed record CreatedApiToken(string Id, string Name, string Secret, DateTimeOffset ExpiresAt);

/// <summary>The signed-in user's own API tokens (any role). Implemented by the server on the REST token API's logic.</summary>
public interface IApiTokenService
{
    Task<IReadOnlyList<ApiTokenSummary>> ListAsync(CancellationToken cancellationToken);

    /// <exception cref="ConsoleOperationException">Bad name or lifetime; the message says which.</exception>
    Task<CreatedApiToken> CreateAsync(string name, int expiresInDays, CancellationToken cancellationToken);

    /// <exception cref="ConsoleOperationException">The user has no such token.</exception>
    Task RevokeAsync(string id, CancellationToken cancellationToken);
}
