using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

public static class HostApi
{
    public static RouteGroupBuilder MapHostApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hosts")
            .WithTags("Hosts")
            .RequireAuthorization();

        api.MapGet("", GetHostsAsync)
            .WithName("GetHosts")
            .WithSummary("Configured agents with health and engine version")
            .WithDescription("Asks each agent for GET /_ping and GET /version. An agent that cannot be reached is listed with state 'unreachable' and the error.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return api;
    }

    public static async Task<Ok<IReadOnlyList<HostStatus>>> GetHostsAsync(IHostsService hosts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await hosts.GetHostsAsync(cancellationToken));
}
