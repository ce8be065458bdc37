namespace ContainerConsole.Server.Infrastructure.Entities;

/// <summary>A row of the Users table. <see cref="NormalizedUserName"/> makes names unique regardless of case on every database.</summary>
public sealed class UserEntity
{
    public required string Id { get; set; }

    public required string UserName { get; set; }

    public required string NormalizedUserName { get; set; }

    public required string PasswordHash { get; set; }

    public required string Role { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public bool Disabled { get; set; }

    public static string Normalize(string userName) => userName.Trim().ToUpperInvariant();
}
