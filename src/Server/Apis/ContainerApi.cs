using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

public static class ContainerApi
{
    public static RouteGroupBuilder MapContainerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/containers")
            .WithTags("Containers")
            .RequireAuthorization();

        api.MapGet("", GetContainersAsync)
            .WithName("GetContainers")
            .WithSummary("Containers of every host, running or not")
            .WithDescription("The agents' GET /containers/json?all=1, each container tagged with its host. Hosts that cannot be asked are listed in unreachableHosts.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    /// <param name="host">Only this host (its name as in GET /api/v1/hosts).</param>
    public static async Task<Results<Ok<ContainerList>, ProblemHttpResult>> GetContainersAsync(
        IContainersService containers,
        CancellationToken cancellationToken,
        string? host = null)
    {
        try
        {
            return TypedResults.Ok(await containers.GetContainersAsync(host, cancellationToken));
        }
        catch (KeyNotFoundException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown host", detail: ex.Message);
        }
    }
}
