namespace ContainerConsole.Server.Infrastructure.Entities;

/// <summary>A row of the ApiTokens table: the token's SHA-256, never the token.</summary>
public sealed class ApiTokenEntity
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    public required string Name { get; set; }

    /// <summary><c>login</c> (from POST /api/v1/auth/login) or <c>personal</c> (created for automation).</summary>
    public required string Kind { get; set; }

    /// <summary>Lowercase hex SHA-256 of the token.</summary>
    public required string TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
