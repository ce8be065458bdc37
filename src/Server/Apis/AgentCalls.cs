using System.Net;
using ContainerConsole.Server.Agents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <summary>
/// Runs a call on a named host's agent and turns its failures into ProblemDetails: an unknown host is 404 naming it,
/// the agent's own verdicts (400 bad input, 404 no such object, 409 conflict) pass through with its message, an
/// agent that fails otherwise or cannot be reached is 502.
/// </summary>
internal static class AgentCalls
{
    public static async Task<Results<TResult, ProblemHttpResult>> CallAsync<TResult>(
        AgentRegistry agents, string host, Func<DockerEngineClient, Task<TResult>> call)
        where TResult : IResult
    {
        if (agents.Find(host) is not { } agent)
        {
            return UnknownHost(host);
        }

        try
        {
            return await call(agent.Client);
        }
        catch (Exception ex) when (ToProblem(ex) is { } problem)
        {
            return problem;
        }
    }

    public static ProblemHttpResult UnknownHost(string host) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown host", detail: $"No host is named '{host}'.");

    /// <summary>The ProblemDetails for an agent failure, or null when <paramref name="exception"/> is not one.</summary>
    public static ProblemHttpResult? ToProblem(Exception exception) => exception switch
    {
        DockerEngineException engine => TypedResults.Problem(
            statusCode: engine.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.BadRequest
                ? (int)engine.StatusCode
                : StatusCodes.Status502BadGateway,
            title: engine.StatusCode switch
            {
                HttpStatusCode.NotFound => "Not found on the agent",
                HttpStatusCode.Conflict => "Conflict on the agent",
                HttpStatusCode.BadRequest => "The agent refused the request",
                _ => "The agent failed",
            },
            detail: engine.Message),
        AgentUnreachableException unreachable => TypedResults.Problem(
            statusCode: StatusCodes.Status502BadGateway, title: "Agent unreachable", detail: unreachable.Message),
        _ => null,
    };

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
