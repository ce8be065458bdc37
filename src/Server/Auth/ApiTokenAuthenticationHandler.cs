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
/// Requests to the hubs (<c>/hubs/...</c>) may carry the token as <c>?access_token=TOKEN</c> instead: a browser's WebSocket and EventSource cannot set headers, and
/// SignalR clients send it that way. Everywhere else the query string is ignored, so an API URL never carries a
/// credential (URLs end up in browser history, proxy logs and referrers).
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

    /// <summary>The query parameter SignalR clients put the token in.</summary>
    public const string QueryTokenName = "access_token";

    /// <summary>The token of the request, or null when it has no bearer token.</summary>
    public static string? GetBearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? header[BearerPrefix.Length..].Trim()
            : null;
    }

    /// <summary>The token the request authenticates with: its bearer token, or on a hub path its <c>access_token</c> query value.</summary>
    public static string? GetRequestToken(HttpRequest request) =>
        GetBearerToken(request)
        ?? (request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue(QueryTokenName, out var value) ? value.ToString() : null);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = GetRequestToken(Request);
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

            if (user.Disabled)
            {
                return AuthenticateResult.Fail("The token's user is disabled.");
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
