using System.Text.RegularExpressions;
using ContainerConsole.Server.Users;

namespace ContainerConsole.Server.Apis;

/// <summary>Checks shared by the APIs; each adds a message naming the field to <c>errors</c>.</summary>
internal static partial class ApiValidation
{
    public const int MaxUserNameLength = 64;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 1024;

    public static void UserName(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxUserNameLength || !UserNamePattern().IsMatch(value))
        {
            errors[field] = [$"A user name of 1 to {MaxUserNameLength} letters, digits, '.', '_', '@' or '-' is required (starting with a letter or digit)."];
        }
    }

    public static void NewPassword(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (value is null || value.Length < MinPasswordLength || value.Length > MaxPasswordLength)
        {
            errors[field] = [$"A password of {MinPasswordLength} to {MaxPasswordLength} characters is required."];
        }
    }

    public static void Role(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (!Roles.IsKnown(value))
        {
            errors[field] = [$"Unknown role '{value}'; the roles are {string.Join(", ", Roles.All)}."];
        }
    }

    public static void HostName(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 128 || !HostNamePattern().IsMatch(value))
        {
            errors[field] = ["A host name of 1 to 128 letters, digits, '.', '_' or '-' is required (starting with a letter or digit)."];
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
    private static partial Regex UserNamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex HostNamePattern();
}
