using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ContainerConsole.Web.Account;

/// <summary>Form endpoints of the browser UI that need a plain HTTP request (cookies).</summary>
public static class AccountEndpoints
{
    /// <summary>
    /// Maps <c>POST /account/logout</c>, the sign-out form of the layout. The antiforgery middleware
    /// checks the form's token before the handler runs.
    /// </summary>
    public static IEndpointConventionBuilder MapConsoleAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/account").ExcludeFromDescription();

        group.MapPost("/logout", async (HttpContext context, IConsoleSignIn signIn) =>
        {
            await signIn.SignOutAsync(context);
            return TypedResults.LocalRedirect("~/login");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());

        return group;
    }
}
