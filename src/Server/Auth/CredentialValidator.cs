using ContainerConsole.Server.Users;

namespace ContainerConsole.Server.Auth;

public enum CredentialStatus
{
    Valid,
    Invalid,
    LockedOut,

    /// <summary>The password is right but an admin disabled the user.</summary>
    Disabled,
}

/// <param name="Status">The verdict.</param>
/// <param name="User">The user, when <see cref="CredentialStatus.Valid"/>.</param>
/// <param name="LockedUntil">The end of the lock, when <see cref="CredentialStatus.LockedOut"/>.</param>
public sealed record CredentialCheck(CredentialStatus Status, UserRecord? User = null, DateTimeOffset? LockedUntil = null);

/// <summary>Checks a user name and password, with the lockout. Shared by the REST login and the sign-in page.</summary>
public sealed class CredentialValidator(
    IUserStore users,
    PasswordHasher hasher,
    LoginThrottle throttle,
    ILogger<CredentialValidator> logger)
{
    private readonly Lazy<string> _dummyHash = new(() => hasher.Hash(Guid.NewGuid().ToString()));

    public async Task<CredentialCheck> CheckAsync(string userName, string password, CancellationToken cancellationToken)
    {
        userName = userName.Trim();
        if (await throttle.LockedUntilAsync(userName, cancellationToken) is { } lockedUntil)
        {
            logger.LogWarning("Sign-in refused for {UserName}: locked until {LockedUntil}", userName, lockedUntil);
            return new CredentialCheck(CredentialStatus.LockedOut, LockedUntil: lockedUntil);
        }

        var user = await users.FindByNameAsync(userName, cancellationToken);

        bool valid;
        if (user is null)
        {
            // An unknown name costs as much as a wrong password, so timing does not reveal which names exist.
            _ = hasher.Verify(password, _dummyHash.Value);
            valid = false;
        }
        else
        {
            valid = hasher.Verify(password, user.PasswordHash);
        }

        if (!valid || user is null)
        {
            // Counted even when the client gives up waiting: aborting must not be a way around the lock.
            var lockedNow = await throttle.RecordFailureAsync(userName, CancellationToken.None);
            if (lockedNow is { } until)
            {
                logger.LogWarning("Sign-in failed for {UserName}; locked until {LockedUntil} after repeated failures", userName, until);
                return new CredentialCheck(CredentialStatus.LockedOut, LockedUntil: until);
            }

            logger.LogInformation("Sign-in failed for {UserName}", userName);
            return new CredentialCheck(CredentialStatus.Invalid);
        }

        await throttle.RecordSuccessAsync(userName, cancellationToken);
        if (user.Disabled)
        {
            // Said only after the right password, so it does not tell strangers which accounts exist.
            logger.LogWarning("Sign-in refused for {UserName}: the user is disabled", user.UserName);
            return new CredentialCheck(CredentialStatus.Disabled);
        }

        await UpgradeHashAsync(user, password, cancellationToken);
        logger.LogInformation("User {UserName} signed in", user.UserName);
        return new CredentialCheck(CredentialStatus.Valid, user);
    }

    private async Task UpgradeHashAsync(UserRecord user, string password, CancellationToken cancellationToken)
    {
        if (!hasher.NeedsRehash(user.PasswordHash))
        {
            return;
        }

        try
        {
            await users.UpdateAsync(user with { PasswordHash = hasher.Hash(password) }, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or KeyNotFoundException)
        {
            logger.LogWarning(ex, "Could not upgrade the password hash of {UserName}", user.UserName);
        }
    }
}
