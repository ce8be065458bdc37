using Microsoft.AspNetCore.Http;

namespace ContainerConsole.Web.Services;

/// <summary>Outcome of a password sign-in.</summary>
public enum LoginStatus
{
    Succeeded,
    InvalidCredentials,
    LockedOut,

    /// <summary>The credentials are right but an admin disabled the user.</summary>
    Disabled,
}

/// <summary>Result of <see cref="IConsoleSignIn.PasswordSignInAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="LockedUntil">When <see cref="LoginStatus.LockedOut"/>: when the user may try again.</param>
public sealed record LoginOutcome(LoginStatus Status, DateTimeOffset? LockedUntil = null);

/// <summary>Cookie sign-in for the browser UI. Implemented by the server (same rules and lockout as the REST login).</summary>
public interface IConsoleSignIn
{
    /// <summary>Checks the credentials and, when they are right, signs the browser in with the session cookie.</summary>
    Task<LoginOutcome> PasswordSignInAsync(HttpContext httpContext, string userName, string password, CancellationToken cancellationToken);

    /// <summary>Ends the browser session.</summary>
    Task SignOutAsync(HttpContext httpContext);
}
