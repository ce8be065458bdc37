using System.Security.Claims;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The user of one Blazor circuit, checked against the same policies as the REST API. Scoped: a circuit's
/// authentication state is the signed-in browser's cookie.
/// </summary>
public sealed class ConsoleUser(AuthenticationStateProvider authentication, IAuthorizationService authorization) : IConsoleAccess
{
    public async Task<ClaimsPrincipal> GetPrincipalAsync() => (await authentication.GetAuthenticationStateAsync()).User;

    public async Task<bool> IsAllowedAsync(ClaimsPrincipal user, string policy) =>
        user.Identity?.IsAuthenticated == true && (await authorization.AuthorizeAsync(user, policy)).Succeeded;

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
