using System.Security.Claims;
using ContainerConsole.Server.Users;

namespace ContainerConsole.Server.Auth;

internal static class UserPrincipal
{
    public static ClaimsPrincipal Create(UserRecord user, string scheme, string method)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, user.Id),
                new Claim(ClaimTypes.Name, user.UserName),
                new Claim(ClaimTypes.Role, user.Role),
                new Claim(AuthSchemes.MethodClaim, method),
            ],
            scheme,
            ClaimTypes.Name,
            ClaimTypes.Role);
        return new ClaimsPrincipal(identity);
    }
}
