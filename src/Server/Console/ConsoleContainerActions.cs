using System.Security.Claims;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Container actions from the console: the user's role is checked here (operator or admin, as
/// <c>POST /api/v1/hosts/{host}/containers/{id}/{action}</c>), and every attempt — done, refused or failed — is written to
/// the audit log with the user, as source <c>ui</c> and action <c>container.&lt;verb&gt;</c>.
/// </summary>
public sealed class ConsoleContainerActions(ConsoleUser user, AgentRegistry agents, ConsoleAudit audit) : IContainerActions
{
    public async Task RunAsync(ContainerAction action, string host, string id, CancellationToken cancellationToken)
    {
        var principal = await user.GetPrincipalAsync();
        var verb = action.ToString().ToLowerInvariant();
        var attempt = audit.Begin(principal, $"container.{verb}", host, $"{host}/{id}");
        if (!await user.IsAllowedAsync(principal, Policies.Operate))
        {
            await audit.RecordAsync(attempt, StatusCodes.Status403Forbidden, "denied");
            throw new ConsoleAccessDeniedException($"Your role ({Role(principal)}) may not {verb} containers; an operator or admin may.");
        }

        if (agents.Find(host) is not { } agent)
        {
            await audit.RecordAsync(attempt, StatusCodes.Status404NotFound, "failed");
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
            await audit.RecordAsync(attempt, status, "failed");
            throw new ConsoleOperationException($"Could not {verb} {Short(id)} on {host}: {ex.Message}", ex);
        }

        await audit.RecordAsync(attempt, StatusCodes.Status200OK, "success");
    }

    internal static string Role(ClaimsPrincipal principal) => principal.FindFirstValue(ClaimTypes.Role) ?? "none";

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
