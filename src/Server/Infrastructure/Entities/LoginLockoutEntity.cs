namespace ContainerConsole.Server.Infrastructure.Entities;

/// <summary>
/// Failed sign-ins of one user name (known or not, so the lock tells nothing about which names exist): the count in
/// the current window and the lock they led to. Kept in the database so a restart does not lift a lock.
/// </summary>
public sealed class LoginLockoutEntity
{
    /// <summary><see cref="UserEntity.Normalize"/> of the name tried.</summary>
    public required string NormalizedUserName { get; set; }

    /// <summary>Failures since <see cref="WindowStart"/>.</summary>
    public int FailureCount { get; set; }

    /// <summary>The first failure of the current window.</summary>
    public DateTimeOffset WindowStart { get; set; }

    /// <summary>Sign-ins are refused until then; null when not locked.</summary>
    public DateTimeOffset? LockedUntil { get; set; }
}
