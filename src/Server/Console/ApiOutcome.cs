using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The console's admin services call the REST API's handlers (so validation and rules live in one place) and read
/// their typed results here: the value, or the refusal as a <see cref="ConsoleOperationException"/> naming the problem.
/// </summary>
internal static class ApiOutcome
{
    /// <summary>The HTTP status the handler chose, for the audit entry.</summary>
    public static int Status(IResult result) => result switch
    {
        IStatusCodeHttpResult { StatusCode: { } code } => code,
        _ => StatusCodes.Status200OK,
    };

    /// <summary>Whether the handler succeeded (2xx).</summary>
    public static bool Succeeded(IResult result) => Status(result) is >= 200 and < 300;

    /// <summary>Why the handler refused: the validation errors, or the problem's detail.</summary>
    public static string Reason(IResult result) => result switch
    {
        ValidationProblem validation => string.Join(" ", validation.ProblemDetails.Errors.SelectMany(e => e.Value)),
        ProblemHttpResult problem => problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? $"refused ({problem.StatusCode})",
        _ => $"refused ({Status(result)})",
    };

    /// <summary>The value of a successful handler.</summary>
    /// <exception cref="ConsoleOperationException">The handler refused.</exception>
    public static T Value<T>(IResult result) => result switch
    {
        IValueHttpResult<T> { Value: { } value } => value,
        _ => throw new ConsoleOperationException(Reason(result)),
    };
}
