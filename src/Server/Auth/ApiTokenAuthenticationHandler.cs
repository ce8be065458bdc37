using System.Text.Encodings.Web;
using ContainerConsole.Server.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Auth;

public sealed class ApiTokenAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// Authenticates <c>Authorization: Bearer TOKEN</c> against <see cref="IApiTokenStore"/> (login and personal tokens) and
/// the token's user. Both are read from the database at most every few seconds per token (<see cref="TokenCheckCache"/>);
/// revoking, deleting a user or changing their role clears that cache, so those still take effect at once.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<ApiTokenAuthenticationOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IApiTokenStore tokens,
    IUserStore users,
    TokenCheckCache cache)
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

        var digest = ApiTokenSecret.Digest(token);
        var check = cache.Find(digest);
        if (check is null)
        {
            var generation = cache.Generation;
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

            check = new TokenCheckCache.TokenCheck(grant, user);
            cache.Add(digest, check, generation);
        }

        var principal = UserPrincipal.Create(check.User, Scheme.Name, "token");
        var properties = new AuthenticationProperties { IssuedUtc = check.Grant.IssuedAt, ExpiresUtc = check.Grant.ExpiresAt };
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
