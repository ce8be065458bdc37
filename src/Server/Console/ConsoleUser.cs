using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Users;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The user of one Blazor circuit, checked against the same policies as the REST API. Scoped: a circuit's
/// authentication state is the signed-in browser's cookie. A circuit outlives the cookie check of the request that
/// opened it, so each check reads the user again: a deleted or disabled user's open page can do nothing more, and a
/// changed role applies at once.
/// </summary>
public sealed class ConsoleUser(AuthenticationStateProvider authentication, IAuthorizationService authorization, IUserStore users) : IConsoleAccess
{
    public async Task<ClaimsPrincipal> GetPrincipalAsync() => (await authentication.GetAuthenticationStateAsync()).User;

    public async Task<bool> IsAllowedAsync(ClaimsPrincipal user, string policy)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id)
        {
            return false;
        }

        var current = await users.FindByIdAsync(id, CancellationToken.None);
        if (current is null || current.Disabled)
        {
            return false;
        }

        var principal = UserPrincipal.Create(current, AuthSchemes.Cookie, user.FindFirstValue(AuthSchemes.MethodClaim) ?? "cookie");
        return (await authorization.AuthorizeAsync(principal, policy)).Succeeded;
    }

    public async Task<ConsoleRights> GetRightsAsync(CancellationToken cancellationToken)
    {
        var user = await GetPrincipalAsync();
        if (user.Identity?.IsAuthenticated != true)
        {
            return ConsoleRights.None;
        }

        return new ConsoleRights(
            user.Identity.Name ?? "",
            user.FindFirstValue(ClaimTypes.Role) ?? "",
            await IsAllowedAsync(user, Policies.Operate),
            await IsAllowedAsync(user, Policies.Administer));
    }
}
