using Microsoft.AspNetCore.Mvc;

namespace ContainerConsole.Server.Auth;

/// <summary>401 and 403 answers of the API as ProblemDetails.</summary>
internal static class AuthProblems
{
    public static bool IsApiRequest(HttpRequest request) => request.Path.StartsWithSegments("/api");

    /// <summary>Requests refused with 401/403 rather than sent to the sign-in page: the API, and the hubs, whose clients cannot follow a redirect.</summary>
    public static bool WantsStatusCode(HttpRequest request) => IsApiRequest(request) || request.Path.StartsWithSegments("/hubs");

    public static Task WriteUnauthorizedAsync(HttpContext context, string detail) =>
        WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static Task WriteForbiddenAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", "Your role does not allow this.");

    private static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
