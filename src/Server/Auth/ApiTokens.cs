using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ContainerConsole.Server.Auth;

/// <summary>A token handed out by the login, as the client must present it.</summary>
public sealed record IssuedApiToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>What the server keeps about a token: never the token itself, only its SHA-256.</summary>
public sealed record ApiTokenGrant(string UserId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Bearer tokens for the REST API. In memory for now (a restart signs every token out); the full server
/// keeps named, revocable API tokens for automation in its database behind this interface.
/// </summary>
public interface IApiTokenStore
{
    Task<IssuedApiToken> IssueAsync(string userId, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>The grant of a token, or null when the token is unknown, revoked or expired.</summary>
    Task<ApiTokenGrant?> FindAsync(string token, CancellationToken cancellationToken);

    Task RevokeAsync(string token, CancellationToken cancellationToken);
}

public sealed class InMemoryApiTokenStore(TimeProvider time) : IApiTokenStore
{
    private const string Prefix = "cc_";

    private readonly ConcurrentDictionary<string, ApiTokenGrant> _grants = new(StringComparer.Ordinal);

    public Task<IssuedApiToken> IssueAsync(string userId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        PruneExpired(now);

        var token = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var grant = new ApiTokenGrant(userId, now, now + lifetime);
        _grants[Digest(token)] = grant;
        return Task.FromResult(new IssuedApiToken(token, grant.ExpiresAt));
    }

    public Task<ApiTokenGrant?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var key = Digest(token);
        if (!_grants.TryGetValue(key, out var grant))
        {
            return Task.FromResult<ApiTokenGrant?>(null);
        }

        if (grant.ExpiresAt <= time.GetUtcNow())
        {
            _grants.TryRemove(key, out _);
            return Task.FromResult<ApiTokenGrant?>(null);
        }

        return Task.FromResult<ApiTokenGrant?>(grant);
    }

    public Task RevokeAsync(string token, CancellationToken cancellationToken)
    {
        _grants.TryRemove(Digest(token), out _);
        return Task.CompletedTask;
    }

    private void PruneExpired(DateTimeOffset now)
    {
        foreach (var (key, grant) in _grants)
        {
            if (grant.ExpiresAt <= now)
            {
                _grants.TryRemove(key, out _);
            }
        }
    }

    /// <summary>SHA-256 of the token. The token carries 256 random bits, so a plain hash is enough (no salt, no stretching).</summary>
    private static string Digest(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
