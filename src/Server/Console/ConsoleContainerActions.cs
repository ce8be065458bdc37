using System.Diagnostics;
using System.Security.Claims;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure.Entities;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Container actions from the console: the user's role is checked here (operator or admin, as
/// <c>POST /api/v1/hosts/{host}/containers/{id}/{action}</c>), and every attempt — done, refused or failed — is written to
/// the audit log with the user, as the REST API's audit does.
/// </summary>
public sealed class ConsoleContainerActions(ConsoleUser user, AgentRegistry agents, AuditLog audit, TimeProvider time, ILogger<ConsoleContainerActions> logger)
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

    private async Task RecordAsync(ClaimsPrincipal principal, string verb, string host, string id, DateTimeOffset at, long started, int status, string result)
    {
        var entry = new AuditEntryEntity
        {
            Time = at,
            Source = AuditLog.SourceApi,
            UserId = principal.FindFirstValue(ClaimTypes.NameIdentifier),
            UserName = principal.Identity?.Name,
            AuthMethod = principal.FindFirstValue(AuthSchemes.MethodClaim) ?? "none",
            RemoteAddress = "console",
            Action = $"{AuditActionPrefix}container.{verb}",
            Target = $"{host}/{id}",
            Host = host,
            StatusCode = status,
            Result = result,
            DurationMs = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3),
        };
        try
        {
            await audit.WriteAsync(entry, CancellationToken.None); // a closed tab must not lose the record
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not write the audit record of {Action} {Target} by {User}", entry.Action, entry.Target, entry.UserName);
        }
    }

    private static string Role(ClaimsPrincipal principal) => principal.FindFirstValue(ClaimTypes.Role) ?? "none";

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
