using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Apis;

/// <param name="Username">Sign-in name (case-insensitive).</param>
/// <param name="Password">The user's password.</param>
public sealed record LoginRequest(string? Username, string? Password);

/// <param name="Token">Send as <c>Authorization: Bearer TOKEN</c>.</param>
/// <param name="ExpiresAt">When the token stops working.</param>
/// <param name="Username">The signed-in user.</param>
/// <param name="Role">The user's role: admin, operator or viewer.</param>
public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, string Username, string Role);

/// <param name="Id">The user's stable id.</param>
/// <param name="Username">Sign-in name.</param>
/// <param name="Role">admin, operator or viewer.</param>
/// <param name="AuthenticatedBy"><c>cookie</c> or <c>token</c>.</param>
public sealed record CurrentUser(string Id, string Username, string Role, string AuthenticatedBy);

public static class AuthApi
{
    private const int MaxUsernameLength = 256;
    private const int MaxPasswordLength = 1024;

    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/auth").WithTags("Auth");

        api.MapPost("/login", LoginAsync)
            .AllowAnonymous()
            .WithName("Login")
            .WithSummary("Sign in")
            .WithDescription("Checks the credentials, sets the session cookie and returns a bearer token. Five failures within five minutes lock the user for five minutes (429).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapPost("/logout", LogoutAsync)
            .RequireAuthorization(Policies.Read)
            .WithName("Logout")
            .WithSummary("Sign out")
            .WithDescription("Ends the session cookie and revokes the bearer token the request carries.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/me", GetCurrentUser)
            .RequireAuthorization(Policies.Read)
            .WithName("GetCurrentUser")
            .WithSummary("The signed-in user")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return api;
    }

    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request,
        HttpContext context,
        CredentialValidator validator,
        IApiTokenStore tokens,
        IOptions<ServerOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Username) || request.Username.Length > MaxUsernameLength)
        {
            errors["username"] = [$"A user name of 1 to {MaxUsernameLength} characters is required."];
        }

        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > MaxPasswordLength)
        {
            errors["password"] = [$"A password of 1 to {MaxPasswordLength} characters is required."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        context.Items[Audit.AuditMiddleware.ClaimedUserItem] = request.Username!.Trim();
        var check = await validator.CheckAsync(request.Username!, request.Password!, cancellationToken);
        switch (check.Status)
        {
            case CredentialStatus.LockedOut:
                var retryAfter = Math.Max(1, (int)Math.Ceiling((check.LockedUntil!.Value - time.GetUtcNow()).TotalSeconds));
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many failed sign-ins",
                    detail: $"The user is locked after repeated failed sign-ins. Try again in {retryAfter} s.");
            case CredentialStatus.Invalid:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status401Unauthorized,
                    title: "Unauthorized",
                    detail: "Invalid user name or password.");
            case CredentialStatus.Disabled:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status403Forbidden,
                    title: "User disabled",
                    detail: "This user is disabled; ask an admin to enable it.");
        }

        var user = check.User!;
        await context.SignInAsync(AuthSchemes.Cookie, UserPrincipal.Create(user, AuthSchemes.Cookie, "cookie"));
        var token = await tokens.IssueAsync(user.Id, "login", ApiTokenKinds.Login, time.GetUtcNow() + options.Value.TokenLifetime, cancellationToken);
        return TypedResults.Ok(new LoginResponse(token.Token, token.ExpiresAt, user.UserName, user.Role));
    }

    public static async Task<NoContent> LogoutAsync(HttpContext context, IApiTokenStore tokens, CancellationToken cancellationToken)
    {
        if (ApiTokenAuthenticationHandler.GetBearerToken(context.Request) is { Length: > 0 } token)
        {
            await tokens.RevokeAsync(token, cancellationToken);
        }

        await context.SignOutAsync(AuthSchemes.Cookie);
        return TypedResults.NoContent();
    }

    [Description("The signed-in user.")]
    public static Ok<CurrentUser> GetCurrentUser(ClaimsPrincipal user) =>
        TypedResults.Ok(new CurrentUser(
            user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
            user.Identity?.Name ?? "",
            user.FindFirstValue(ClaimTypes.Role) ?? "",
            user.FindFirstValue(AuthSchemes.MethodClaim) ?? ""));
}
