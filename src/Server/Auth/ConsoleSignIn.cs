using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Authentication;

namespace ContainerConsole.Server.Auth;

/// <summary>The sign-in page's view of the server: the same credential check and lockout as the REST login.</summary>
public sealed class ConsoleSignIn(CredentialValidator validator) : IConsoleSignIn
{
    public async Task<LoginOutcome> PasswordSignInAsync(HttpContext httpContext, string userName, string password, CancellationToken cancellationToken)
    {
        var check = await validator.CheckAsync(userName, password, cancellationToken);
        switch (check.Status)
        {
            case CredentialStatus.Valid:
                await httpContext.SignInAsync(AuthSchemes.Cookie, UserPrincipal.Create(check.User!, AuthSchemes.Cookie, "cookie"));
                return new LoginOutcome(LoginStatus.Succeeded);
            case CredentialStatus.LockedOut:
                return new LoginOutcome(LoginStatus.LockedOut, check.LockedUntil);
            case CredentialStatus.Disabled:
                return new LoginOutcome(LoginStatus.Disabled);
            default:
                return new LoginOutcome(LoginStatus.InvalidCredentials);
        }
    }

    public Task SignOutAsync(HttpContext httpContext) => httpContext.SignOutAsync(AuthSchemes.Cookie);
}
