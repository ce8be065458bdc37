using Microsoft.AspNetCore.Authentication.Cookies;

namespace ContainerConsole.Server.Auth;

/// <summary>Authentication schemes of the server.</summary>
public static class AuthSchemes
{
    /// <summary>The default: a bearer token when the request has one, else the session cookie.</summary>
    public const string Default = "ContainerConsole";

    /// <summary>Browser session cookie, set by the sign-in page and by <c>POST /api/v1/auth/login</c>.</summary>
    public const string Cookie = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary><c>Authorization: Bearer TOKEN</c> with a token from <c>POST /api/v1/auth/login</c>.</summary>
    public const string ApiToken = "ApiToken";

    /// <summary>Claim saying how the request was authenticated: <c>cookie</c> or <c>token</c>.</summary>
    public const string MethodClaim = "cc:auth_method";
}
