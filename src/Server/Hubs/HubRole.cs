using System.Reflection;
using System.Security.Claims;
using ContainerConsole.Server.Audit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// A hub method that needs more than its hub's policy (e.g. operator for a terminal). Checked by
/// <see cref="HubRoleFilter"/> rather than by <c>[Authorize]</c>: SignalR refuses an <c>[Authorize]</c> method before any
/// filter runs, so that refusal could not be audited; the REST API's refusals are.
/// </summary>
/// <param name="policy">The policy the caller must meet (<see cref="Auth.Policies"/>).</param>
/// <param name="auditAction">The audit action of the method, e.g. <c>terminal.open</c>.</param>
/// <param name="what">What the caller may not do, for the message, e.g. "open terminals".</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HubRoleAttribute(string policy, string auditAction, string what) : Attribute
{
    public string Policy { get; } = policy;

    public string AuditAction { get; } = auditAction;

    public string What { get; } = what;
}

/// <summary>Enforces <see cref="HubRoleAttribute"/> on every hub call, auditing a refusal with the host and target it named.</summary>
internal sealed class HubRoleFilter(IAuthorizationService authorization, HubAudit audit) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (invocation.HubMethod.GetCustomAttribute<HubRoleAttribute>() is { } required)
        {
            var user = invocation.Context.User ?? new ClaimsPrincipal();
            if (!(await authorization.AuthorizeAsync(user, required.Policy)).Succeeded)
            {
                // By convention the first argument is the host and the second, when a string, what is acted on.
                var arguments = invocation.HubMethodArguments;
                var host = arguments.Count > 0 ? arguments[0] as string ?? "" : "";
                var target = arguments.Count > 1 && arguments[1] is string named ? named : "";
                await audit.RecordAsync(HubAudit.Caller(invocation.Context), required.AuditAction, host, target, "denied", null);
                throw new HubException(
                    $"Unauthorized: your role ({user.FindFirstValue(ClaimTypes.Role) ?? "none"}) may not {required.What}; an operator or admin may.");
            }
        }

        return await next(invocation);
    }
}
