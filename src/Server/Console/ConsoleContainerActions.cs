using System.Diagnostics;
using System.Security.Claims;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Container actions from the console: the user's role is checked here (operator or admin, as
/// <c>POST /api/v1/hosts/{host}/containers/{id}/{action}</c>), and every attempt — done, refused or failed — is written to
/// the audit log with the user, as the REST API's audit does.
/// </summary>
public sealed class ConsoleContainerActions(ConsoleUser user, AgentRegistry agents, ConsoleAudit audit, TimeProvider time)
    : IContainerActions
{
    /// <summary>
    /// Start of the audit action of a console call (<c>ui container.stop</c>). The audit knows two sources, api and
    /// agent: a console call is a server-side call for a signed-in user, so it is recorded as api, and its action
    /// says it came through the console (<c>GET /api/v1/audit?action=ui</c> lists them).
    /// </summary>
    public const string AuditActionPrefix = "ui ";

    public async Task RunAsync(ContainerAction action, string host, string id, CancellationToken cancellationToken)
    {
        var principal = await user.GetPrincipalAsync();
        var at = time.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        var verb = action.ToString().ToLowerInvariant();
        if (!await user.IsAllowedAsync(principal, Policies.Operate))
        {
            await RecordAsync(principal, verb, host, id, at, started, StatusCodes.Status403Forbidden, "denied");
            throw new ConsoleAccessDeniedException($"Your role ({Role(principal)}) may not {verb} containers; an operator or admin may.");
        }

        if (agents.Find(host) is not { } agent)
        {
            await RecordAsync(principal, verb, host, id, at, started, StatusCodes.Status404NotFound, "failed");
            throw new ConsoleOperationException($"No host is named '{host}'.");
        }

        try
        {
            if (action == ContainerAction.Remove)
            {
                await agent.Client.RemoveContainerAsync(id, force: true, cancellationToken);
            }
            else
            {
                await agent.Client.ContainerActionAsync(id, verb, "", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            var status = ex is DockerEngineException engine ? (int)engine.StatusCode : StatusCodes.Status502BadGateway;
            await RecordAsync(principal, verb, host, id, at, started, status, "failed");
            throw new ConsoleOperationException($"Could not {verb} {Short(id)} on {host}: {ex.Message}", ex);
        }

        await RecordAsync(principal, verb, host, id, at, started, StatusCodes.Status200OK, "success");
    }

    private Task RecordAsync(ClaimsPrincipal principal, string verb, string host, string id, DateTimeOffset at, long started, int status, string result) =>
        audit.RecordAsync(principal, $"container.{verb}", host, $"{host}/{id}", (at, started), status, result);

    private static string Role(ClaimsPrincipal principal) => principal.FindFirstValue(ClaimTypes.Role) ?? "none";

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
