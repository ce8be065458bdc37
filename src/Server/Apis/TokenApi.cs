using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="Name">What the token is for, e.g. "deploy script" (1 to 100 characters).</param>
/// <param name="ExpiresInDays">Lifetime in days, 1 to 365; 30 when not given.</param>
public sealed record CreateTokenRequest(string? Name, int? ExpiresInDays);

/// <param name="Id">Use it to revoke the token.</param>
/// <param name="Name">The name given.</param>
/// <param name="Token">The secret: send as <c>Authorization: Bearer TOKEN</c>. Shown only now; the server keeps its hash.</param>
/// <param name="ExpiresAt">When the token stops working.</param>
public sealed record CreatedToken(string Id, string Name, string Token, DateTimeOffset ExpiresAt);

public static class TokenApi
{
    private const int DefaultLifetimeDays = 30;
    private const int MaxLifetimeDays = 365;
    private const int MaxNameLength = 100;

    public static RouteGroupBuilder MapTokenApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/tokens").WithTags("Tokens").RequireAuthorization(Policies.Read);

        api.MapGet("", ListAsync).WithName("ListTokens").WithSummary("Your API tokens (admin: everybody's with all=true)")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("", CreateAsync).WithName("CreateToken").WithSummary("Create a personal API token")
            .WithDescription("The token is in the answer only; the server stores its SHA-256.")
            .ProducesValidationProblem();
        api.MapDelete("/{id}", RevokeAsync).WithName("RevokeToken").WithSummary("Revoke a token (yours; admin: anybody's)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <param name="all">Every user's tokens (admin only).</param>
    public static async Task<Results<Ok<IReadOnlyList<ApiTokenInfo>>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, IApiTokenStore tokens, CancellationToken cancellationToken, bool all = false)
    {
        if (all && !user.IsInRole(Roles.Admin))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Only an admin may list every user's tokens.");
        }

        return TypedResults.Ok(await tokens.ListAsync(all ? null : UserId(user), cancellationToken));
    }

    public static async Task<Results<Created<CreatedToken>, ValidationProblem>> CreateAsync(
        CreateTokenRequest request, ClaimsPrincipal user, IApiTokenStore tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > MaxNameLength)
        {
            errors["name"] = [$"A name of 1 to {MaxNameLength} characters is required."];
        }

        var days = request.ExpiresInDays ?? DefaultLifetimeDays;
        if (days is < 1 or > MaxLifetimeDays)
        {
            errors["expiresInDays"] = [$"The lifetime must be 1 to {MaxLifetimeDays} days."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var name = request.Name!.Trim();
        var issued = await tokens.IssueAsync(UserId(user), name, ApiTokenKinds.Personal, time.GetUtcNow().AddDays(days), cancellationToken);
        return TypedResults.Created($"/api/v1/tokens/{issued.Id}", new CreatedToken(issued.Id, name, issued.Token, issued.ExpiresAt));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string id, ClaimsPrincipal user, IApiTokenStore tokens, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(id, cancellationToken);
        // Someone else's token is "not found" to a non-admin: its existence is none of their business.
        if (token is null || (token.UserId != UserId(user) && !user.IsInRole(Roles.Admin)))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown token", detail: $"You have no token with id '{id}'.");
        }

        await tokens.RevokeByIdAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static string UserId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
}
