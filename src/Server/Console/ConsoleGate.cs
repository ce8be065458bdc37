using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The check every console service makes before acting for its circuit's user: the same policies as the REST API,
/// and for changes an audit entry (source <c>ui</c>) of the attempt — done, refused or failed.
/// </summary>
public sealed class ConsoleGate(ConsoleUser user, ConsoleAudit audit)
{
    /// <summary>The user, when <paramref name="policy"/> allows them to <paramref name="what"/>; nothing is audited (a read).</summary>
    /// <exception cref="ConsoleAccessDeniedException">The user's role does not allow it.</exception>
    public async Task<ClaimsPrincipal> RequireAsync(string policy, string what)
    {
        var principal = await user.GetPrincipalAsync();
        if (!await user.IsAllowedAsync(principal, policy))
        {
            throw Denied(principal, policy, what);
        }

        return principal;
    }

    /// <summary>Starts a change: checks the role (a refusal is audited) and starts timing the audit entry.</summary>
    /// <exception cref="ConsoleAccessDeniedException">The user's role does not allow it.</exception>
    public async Task<ConsoleAttempt> BeginAsync(string policy, string what, string action, string? host, string target)
    {
        var principal = await user.GetPrincipalAsync();
        var attempt = audit.Begin(principal, action, host, target);
        if (!await user.IsAllowedAsync(principal, policy))
        {
            await audit.RecordAsync(attempt, StatusCodes.Status403Forbidden, "denied");
            throw Denied(principal, policy, what);
        }

        return attempt;
    }

    /// <summary>Audits the REST handler's answer to the attempt and throws its refusal.</summary>
    /// <exception cref="ConsoleValidationException">The handler found the request invalid (errors per field).</exception>
    /// <exception cref="ConsoleOperationException">The handler refused; the message names the problem.</exception>
    public async Task FinishAsync(ConsoleAttempt attempt, IResult result)
    {
        var succeeded = ApiOutcome.Succeeded(result);
        await audit.RecordAsync(attempt, ApiOutcome.Status(result), succeeded ? "success" : "failed", succeeded ? null : ApiOutcome.Reason(result));
        if (result is ValidationProblem invalid)
        {
            throw new ConsoleValidationException(invalid.ProblemDetails.Errors.ToDictionary());
        }

        if (!succeeded)
        {
            throw new ConsoleOperationException(ApiOutcome.Reason(result));
        }
    }

    /// <summary>As <see cref="FinishAsync(ConsoleAttempt, IResult)"/>, returning the handler's value.</summary>
    public async Task<T> FinishAsync<T>(ConsoleAttempt attempt, IResult result)
    {
        await FinishAsync(attempt, result);
        return ApiOutcome.Value<T>(result);
    }

    private static ConsoleAccessDeniedException Denied(ClaimsPrincipal principal, string policy, string what) =>
        new($"Your role ({principal.FindFirstValue(ClaimTypes.Role) ?? "none"}) may not {what}; {(policy == Policies.Administer ? "an admin" : "an operator or admin")} may.");
}
