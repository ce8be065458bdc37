using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosts;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <param name="CaCert">Absolute path of the PEM file of the CA that signed the agent's certificate.</param>
/// <param name="Cert">Absolute path of the server's client certificate (PEM).</param>
/// <param name="Key">Absolute path of the client certificate's private key (PEM).</param>
public sealed record HostTlsRequest(string? CaCert, string? Cert, string? Key);

/// <param name="Name">Unique name: letters, digits, '.', '_', '-'.</param>
/// <param name="Uri"><c>unix:///path.sock</c>, <c>tcp://host:port</c> or <c>http(s)://host:port</c>.</param>
/// <param name="Tls">Mutual TLS for a TCP agent (all three files).</param>
public sealed record HostRequest(string? Name, string? Uri, HostTlsRequest? Tls);

public static class HostApi
{
    public static RouteGroupBuilder MapHostApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/hosts").WithTags("Hosts");

        api.MapGet("", GetHostsAsync)
            .RequireAuthorization(Policies.Read)
            .WithName("GetHosts")
            .WithSummary("Registered agents with health and engine version")
            .WithDescription("Asks each agent for GET /_ping and GET /version. An agent that cannot be reached is listed with state 'unreachable' and the error.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        var admin = api.MapGroup("").RequireAuthorization(Policies.Administer);
        admin.MapPost("", RegisterAsync).WithName("RegisterHost").WithSummary("Register an agent (admin)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPut("/{id:int}", UpdateAsync).WithName("UpdateHost").WithSummary("Change an agent's name, address or TLS files (admin)")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/{id:int}", RemoveAsync).WithName("RemoveHost").WithSummary("Forget an agent (admin)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<HostStatus>>> GetHostsAsync(IHostsService hosts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await hosts.GetHostsAsync(cancellationToken));

    public static async Task<Results<Created<HostStatus>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        HostRequest request, AgentRegistry registry, HostsService hosts, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } invalid)
        {
            return invalid;
        }

        try
        {
            var host = await registry.RegisterAsync(ToRegistration(request), cancellationToken);
            return TypedResults.Created($"/api/v1/hosts/{host.Id}", await hosts.CheckAsync(host, cancellationToken));
        }
        catch (HostRegistrationException ex)
        {
            return Refused(ex);
        }
    }

    public static async Task<Results<Ok<HostStatus>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, HostRequest request, AgentRegistry registry, HostsService hosts, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } invalid)
        {
            return invalid;
        }

        try
        {
            var host = await registry.UpdateAsync(id, ToRegistration(request), cancellationToken);
            return host is null ? NoSuchHost(id) : TypedResults.Ok(await hosts.CheckAsync(host, cancellationToken));
        }
        catch (HostRegistrationException ex)
        {
            return Refused(ex);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(int id, AgentRegistry registry, CancellationToken cancellationToken) =>
        await registry.RemoveAsync(id, cancellationToken) ? TypedResults.NoContent() : NoSuchHost(id);

    private static ValidationProblem? Validate(HostRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        ApiValidation.HostName(errors, "name", request.Name);
        if (string.IsNullOrWhiteSpace(request.Uri) || request.Uri.Length > 1024)
        {
            errors["uri"] = ["An agent address is required: unix:///path.sock, tcp://host:port or http(s)://host:port."];
        }

        if (request.Tls is { } tls && (string.IsNullOrWhiteSpace(tls.CaCert) || string.IsNullOrWhiteSpace(tls.Cert) || string.IsNullOrWhiteSpace(tls.Key)))
        {
            errors["tls"] = ["Mutual TLS needs all three files: caCert, cert and key."];
        }

        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : null;
    }

    private static HostRegistration ToRegistration(HostRequest request) =>
        new(request.Name!, request.Uri!, request.Tls is { } tls ? new AgentTls(tls.CaCert!, tls.Cert!, tls.Key!) : null);

    private static ProblemHttpResult Refused(HostRegistrationException ex) =>
        TypedResults.Problem(
            statusCode: ex.Message.Contains("registered already", StringComparison.Ordinal) ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest,
            title: "Host not registered",
            detail: ex.Message);

    private static ProblemHttpResult NoSuchHost(int id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown host", detail: $"No host has id {id}.");
}
