using System.Text.Encodings.Web;
using ContainerConsole.Server.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Auth;

public sealed class ApiTokenAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// Authenticates <c>Authorization: Bearer TOKEN</c> against <see cref="IApiTokenStore"/> (login and personal tokens). The user is read
/// again on every request, so a removed user's tokens stop working at once.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<ApiTokenAuthenticationOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IApiTokenStore tokens,
    IUserStore users)
    : AuthenticationHandler<ApiTokenAuthenticationOptions>(options, loggerFactory, encoder)
{
    private const string BearerPrefix = "Bearer ";

    /// <summary>The token of the request, or null when it has no bearer token.</summary>
    public static string? GetBearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? header[BearerPrefix.Length..].Trim()
            : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = GetBearerToken(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (token.Length == 0)
        {
            return AuthenticateResult.Fail("The bearer token is empty.");
        }

        var grant = await tokens.FindAsync(token, Context.RequestAborted);
        if (grant is null)
        {
            return AuthenticateResult.Fail("The token is unknown, revoked or expired.");
        }

        var user = await users.FindByIdAsync(grant.UserId, Context.RequestAborted);
        if (user is null)
        {
            return AuthenticateResult.Fail("The token's user no longer exists.");
        }

        var principal = UserPrincipal.Create(user, Scheme.Name, "token");
        var properties = new AuthenticationProperties { IssuedUtc = grant.IssuedAt, ExpiresUtc = grant.ExpiresAt };
        return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = result.Failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{result.Failure.Message}\"";
        await AuthProblems.WriteUnauthorizedAsync(Context, result.Failure?.Message ?? "Sign in with POST /api/v1/auth/login and send the token as 'Authorization: Bearer TOKEN'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteForbiddenAsync(Context);
}
