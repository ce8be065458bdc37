using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Users;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Auth;

internal static class AuthenticationSetup
{
    /// <summary>
    /// Cookie and bearer-token authentication behind one default scheme, the credential check with its
    /// lockout, and the role policies (see <see cref="Policies"/>).
    /// </summary>
    public static IServiceCollection AddContainerConsoleAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<CredentialValidator>();
        services.AddSingleton<TokenCheckCache>();
        services.AddSingleton<IApiTokenStore, EfApiTokenStore>();
        services.AddScoped<IConsoleSignIn, ConsoleSignIn>();

        services.AddAuthentication(AuthSchemes.Default)
            .AddPolicyScheme(AuthSchemes.Default, "Bearer token or session cookie", options =>
            {
                options.ForwardDefaultSelector = context =>
                    ApiTokenAuthenticationHandler.GetRequestToken(context.Request) is null ? AuthSchemes.Cookie : AuthSchemes.ApiToken;
            })
            .AddCookie(AuthSchemes.Cookie)
            .AddScheme<ApiTokenAuthenticationOptions, ApiTokenAuthenticationHandler>(AuthSchemes.ApiToken, displayName: "API token", _ => { });

        services.AddOptions<CookieAuthenticationOptions>(AuthSchemes.Cookie)
            .Configure<IOptions<ServerOptions>>((cookie, server) =>
            {
                cookie.Cookie.Name = ".ContainerConsole.Session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = server.Value.SessionLifetime;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = "/login";
                cookie.AccessDeniedPath = "/login";
                cookie.Events = new CookieAuthenticationEvents
                {
                    // The API answers 401/403 ProblemDetails; only pages redirect to the sign-in page.
                    OnRedirectToLogin = context => AuthProblems.WantsStatusCode(context.Request)
                        ? AuthProblems.WriteUnauthorizedAsync(context.HttpContext, "Sign in with POST /api/v1/auth/login (cookie or bearer token).")
                        : Redirect(context),
                    OnRedirectToAccessDenied = context => AuthProblems.WantsStatusCode(context.Request)
                        ? AuthProblems.WriteForbiddenAsync(context.HttpContext)
                        : Redirect(context),
                    OnValidatePrincipal = RefreshUserAsync,
                };
            });

        services.AddAuthorizationBuilder().AddContainerConsolePolicies();

        return services;
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>A session ends when its user is removed or disabled, and carries the user's current role after a role change.</summary>
    private static async Task RefreshUserAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        var users = context.HttpContext.RequestServices.GetRequiredService<IUserStore>();
        var user = id is null ? null : await users.FindByIdAsync(id, context.HttpContext.RequestAborted);
        if (user is null || user.Disabled)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AuthSchemes.Cookie);
            return;
        }

        if (!context.Principal!.IsInRole(user.Role) || context.Principal.Identity?.Name != user.UserName)
        {
            context.ReplacePrincipal(UserPrincipal.Create(user, AuthSchemes.Cookie, "cookie"));
            context.ShouldRenew = true;
        }
    }
}
