using System.Security.Cryptography;
using System.Text;

namespace ContainerConsole.Server.Auth;

/// <summary>What a token is for: a sign-in (<c>login</c>) or automation (<c>personal</c>, created by the user).</summary>
public static class ApiTokenKinds
{
    public const string Login = "login";
    public const string Personal = "personal";
}

/// <summary>A token just created, as the client must present it. The secret is shown this once.</summary>
public sealed record IssuedApiToken(string Id, string Token, DateTimeOffset ExpiresAt);

/// <summary>What a valid token grants.</summary>
public sealed record ApiTokenGrant(string TokenId, string UserId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>A token as listed: everything but the secret.</summary>
/// <param name="Id">Stable id, used to revoke it.</param>
/// <param name="UserId">The owner.</param>
/// <param name="UserName">The owner's sign-in name.</param>
/// <param name="Name">What the owner called it.</param>
/// <param name="Kind"><c>login</c> or <c>personal</c>.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ExpiresAt">When it stops working.</param>
/// <param name="LastUsedAt">Last request it authenticated (to the minute), if any.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
public sealed record ApiTokenInfo(
    string Id,
    string UserId,
    string UserName,
    string Name,
    string Kind,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);

/// <summary>Bearer tokens of the REST API: the login's tokens and personal tokens for automation.</summary>
public interface IApiTokenStore
{
    Task<IssuedApiToken> IssueAsync(string userId, string name, string kind, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>The grant of a token, or null when the token is unknown, revoked or expired. Notes the use.</summary>
    Task<ApiTokenGrant?> FindAsync(string token, CancellationToken cancellationToken);

    /// <summary>Revokes the token with this secret (logout).</summary>
    Task RevokeAsync(string token, CancellationToken cancellationToken);

    /// <summary>Revokes by id; false when no such token exists.</summary>
    Task<bool> RevokeByIdAsync(string id, CancellationToken cancellationToken);

    /// <summary>Revokes every token of a user (after an admin reset their password).</summary>
    Task RevokeAllAsync(string userId, CancellationToken cancellationToken);

    Task<ApiTokenInfo?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The tokens of one user, or of everybody when <paramref name="userId"/> is null; newest first.</summary>
    Task<IReadOnlyList<ApiTokenInfo>> ListAsync(string? userId, CancellationToken cancellationToken);
}

/// <summary>How tokens look and how they are stored.</summary>
public static class ApiTokenSecret
{
    /// <summary>Marks our tokens in logs and secret scanners.</summary>
    public const string Prefix = "cc_";

    /// <summary>A token with 256 random bits.</summary>
    public static string Create() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>SHA-256 of the token. The token carries 256 random bits, so a plain hash is enough (no salt, no stretching).</summary>
    public static string Digest(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
