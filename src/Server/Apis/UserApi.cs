using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="Id">Stable id.</param>
/// <param name="Username">Sign-in name.</param>
/// <param name="Role">admin, operator or viewer.</param>
/// <param name="CreatedAt">When the user was created.</param>
/// <param name="Disabled">True when the user cannot sign in and their tokens and sessions do not work.</param>
public sealed record UserView(string Id, string Username, string Role, DateTimeOffset CreatedAt, bool Disabled)
{
    public static UserView From(UserRecord user) => new(user.Id, user.UserName, user.Role, user.CreatedAt, user.Disabled);
}

/// <param name="Disabled">True disables the user (sign-in refused, tokens and sessions stop at once); false enables it.</param>
public sealed record UpdateUserRequest(bool? Disabled);

/// <param name="Username">Sign-in name: letters, digits, '.', '_', '@', '-'.</param>
/// <param name="Password">At least 8 characters.</param>
/// <param name="Role">admin, operator or viewer.</param>
public sealed record CreateUserRequest(string? Username, string? Password, string? Role);

/// <param name="Role">admin, operator or viewer.</param>
public sealed record SetRoleRequest(string? Role);

/// <param name="Password">The new password, at least 8 characters.</param>
public sealed record SetPasswordRequest(string? Password);

/// <param name="CurrentPassword">The password the user signs in with now.</param>
/// <param name="NewPassword">At least 8 characters.</param>
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public static class UserApi
{
    public static RouteGroupBuilder MapUserApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/users").WithTags("Users");

        api.MapPut("/me/password", ChangeOwnPasswordAsync)
            .RequireAuthorization(Policies.Read)
            .WithName("ChangeOwnPassword")
            .WithSummary("Change your own password")
            .ProducesValidationProblem();

        var admin = api.MapGroup("").RequireAuthorization(Policies.Administer);
        admin.MapGet("", ListAsync).WithName("ListUsers").WithSummary("Every user (admin)");
        admin.MapPost("", CreateAsync).WithName("CreateUser").WithSummary("Create a user (admin)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPut("/{id}/role", SetRoleAsync).WithName("SetUserRole").WithSummary("Change a user's role (admin)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPatch("/{id}", UpdateAsync).WithName("UpdateUser").WithSummary("Disable or enable a user (admin)")
            .WithDescription("A disabled user cannot sign in; their tokens and sessions stop working at once. The last enabled admin cannot be disabled.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPut("/{id}/password", ResetPasswordAsync).WithName("ResetUserPassword")
            .WithSummary("Set a user's password (admin)")
            .WithDescription("Also revokes every API token of the user.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/{id}", DeleteAsync).WithName("DeleteUser").WithSummary("Delete a user and their tokens (admin)")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<UserView>>> ListAsync(IUserStore users, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<UserView>>([.. (await users.ListAsync(cancellationToken)).Select(UserView.From)]);

    public static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateUserRequest request, IUserStore users, PasswordHasher hasher, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ApiValidation.UserName(errors, "username", request.Username);
        ApiValidation.NewPassword(errors, "password", request.Password);
        ApiValidation.Role(errors, "role", request.Role);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = new UserRecord(Guid.NewGuid().ToString("N"), request.Username!.Trim(), hasher.Hash(request.Password!), request.Role!, time.GetUtcNow());
        try
        {
            await users.CreateAsync(user, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "User exists", detail: $"A user named '{user.UserName}' exists.");
        }

        return TypedResults.Created($"/api/v1/users/{user.Id}", UserView.From(user));
    }

    public static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> SetRoleAsync(
        string id, SetRoleRequest request, IUserStore users, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ApiValidation.Role(errors, "role", request.Role);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = await users.FindByIdAsync(id, cancellationToken);
        if (user is null)
        {
            return NoSuchUser(id);
        }

        try
        {
            user = user with { Role = request.Role! };
            await users.UpdateAsync(user, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            return NoSuchUser(id);
        }
        catch (LastAdminException ex)
        {
            return LastAdmin(ex);
        }

        return TypedResults.Ok(UserView.From(user));
    }

    public static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, UpdateUserRequest request, IUserStore users, CancellationToken cancellationToken)
    {
        if (request.Disabled is not { } disabled)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["disabled"] = ["Say whether the user is disabled (true or false)."] });
        }

        var user = await users.FindByIdAsync(id, cancellationToken);
        if (user is null)
        {
            return NoSuchUser(id);
        }

        try
        {
            user = user with { Disabled = disabled };
            await users.UpdateAsync(user, cancellationToken); // clears the token check cache: tokens stop at once
        }
        catch (KeyNotFoundException)
        {
            return NoSuchUser(id);
        }
        catch (LastAdminException ex)
        {
            return LastAdmin(ex);
        }

        return TypedResults.Ok(UserView.From(user));
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ResetPasswordAsync(
        string id, SetPasswordRequest request, IUserStore users, IApiTokenStore tokens, PasswordHasher hasher, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        ApiValidation.NewPassword(errors, "password", request.Password);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = await users.FindByIdAsync(id, cancellationToken);
        if (user is null)
        {
            return NoSuchUser(id);
        }

        await users.UpdateAsync(user with { PasswordHash = hasher.Hash(request.Password!) }, cancellationToken);
        await tokens.RevokeAllAsync(id, cancellationToken); // whoever knew the old password may hold a token
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, IUserStore users, CancellationToken cancellationToken)
    {
        try
        {
            await users.DeleteAsync(id, cancellationToken);
            return TypedResults.NoContent();
        }
        catch (KeyNotFoundException)
        {
            return NoSuchUser(id);
        }
        catch (LastAdminException ex)
        {
            return LastAdmin(ex);
        }
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangeOwnPasswordAsync(
        ChangePasswordRequest request,
        ClaimsPrincipal principal,
        IUserStore users,
        CredentialValidator validator,
        PasswordHasher hasher,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.CurrentPassword) || request.CurrentPassword.Length > ApiValidation.MaxPasswordLength)
        {
            errors["currentPassword"] = ["The current password is required."];
        }

        ApiValidation.NewPassword(errors, "newPassword", request.NewPassword);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = await users.FindByIdAsync(principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "", cancellationToken);
        if (user is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "The signed-in user no longer exists.");
        }

        // The same check and lockout as the sign-in, so this is no way around the lockout.
        var check = await validator.CheckAsync(user.UserName, request.CurrentPassword!, cancellationToken);
        switch (check.Status)
        {
            case CredentialStatus.LockedOut:
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed sign-ins", detail: "The user is locked after repeated failed attempts.");
            case CredentialStatus.Invalid:
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["currentPassword"] = ["The current password is wrong."] });
            case CredentialStatus.Disabled:
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "User disabled", detail: "This user is disabled.");
        }

        await users.UpdateAsync(check.User! with { PasswordHash = hasher.Hash(request.NewPassword!) }, cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult LastAdmin(LastAdminException ex) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Last admin", detail: ex.Message);

    private static ProblemHttpResult NoSuchUser(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown user", detail: $"No user has id '{id}'.");
}
