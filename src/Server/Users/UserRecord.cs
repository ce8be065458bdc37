namespace ContainerConsole.Server.Users;

/// <summary>The roles of the architecture: admin manages users, hosts and the audit log; operator changes containers, images, volumes and networks; viewer reads.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Viewer];

    public static bool IsKnown(string? role) => role is Admin or Operator or Viewer;
}

/// <summary>A user of the console.</summary>
/// <param name="Id">Stable id (never reused), independent of the name.</param>
/// <param name="UserName">Sign-in name, compared case-insensitively.</param>
/// <param name="PasswordHash">Encoded by <see cref="PasswordHasher"/>.</param>
/// <param name="Role">One of <see cref="Roles"/>.</param>
/// <param name="CreatedAt">When the user was created.</param>
/// <param name="Disabled">A disabled user cannot sign in, and their tokens and sessions stop working.</param>
public sealed record UserRecord(string Id, string UserName, string PasswordHash, string Role, DateTimeOffset CreatedAt, bool Disabled = false);
