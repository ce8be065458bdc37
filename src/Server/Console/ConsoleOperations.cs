using System.Net;
using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// A change asked for from the console, described for the role check, the audit and the messages.
/// </summary>
/// <param name="Action">Audit action after the <c>ui </c> prefix, e.g. <c>image.remove</c>.</param>
/// <param name="Host">The host it runs on.</param>
/// <param name="Target">What it acts on, e.g. an image reference (the audit's target is <c>host/target</c>).</param>
/// <param name="Refused">What a refused user may not do, e.g. "remove images".</param>
/// <param name="Failed">What could not be done, e.g. "remove busybox:latest".</param>
public sealed record ConsoleOperation(string Action, string Host, string Target, string Refused, string Failed);

/// <summary>
/// Runs the console's changes: the user's role is checked by <see cref="ConsoleGate"/> (operator or admin, as the REST API's mutating calls),
/// and every attempt — done, refused or failed — is written to the audit log with the user, as the REST API's audit does.
/// A page hiding a button is a courtesy; this is the rule.
/// </summary>
public sealed class ConsoleOperations(ConsoleGate gate, AgentRegistry agents, ConsoleAudit audit)
{
    /// <summary>Runs <paramref name="call"/> on the operation's host for an operator.</summary>
    /// <exception cref="ConsoleAccessDeniedException">The user may not change things.</exception>
    /// <exception cref="ConsoleOperationException">No such host, or the agent refused or could not be reached.</exception>
    public async Task<T> RunAsync<T>(ConsoleOperation operation, Func<DockerEngineClient, Task<T>> call)
    {
        var (agent, begun) = await BeginAsync(operation);
        T result;
        try
        {
            result = await call(agent.Client);
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            await audit.RecordAsync(begun, StatusOf(ex), "failed");
            throw new ConsoleOperationException($"Could not {operation.Failed} on {operation.Host}: {ex.Message}", ex);
        }

        await audit.RecordAsync(begun, StatusCodes.Status200OK, "success");
        return result;
    }

    /// <summary>
    /// Streams a long operation's progress; audited when it ends: success, or failed when the agent's stream ended in
    /// an error message (passed on as the last message), broke off, or the user left.
    /// </summary>
    public async IAsyncEnumerable<ImageProgress> StreamAsync(
        ConsoleOperation operation, Func<DockerEngineClient, CancellationToken, IAsyncEnumerable<ImageProgress>> open,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (agent, begun) = await BeginAsync(operation);
        string? error = null;
        var messages = open(agent.Client, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await messages.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException or IOException or HttpRequestException or InvalidDataException)
                {
                    await audit.RecordAsync(begun, StatusOf(ex), "failed");
                    throw new ConsoleOperationException($"Could not {operation.Failed} on {operation.Host}: {ex.Message}", ex);
                }
                catch (OperationCanceledException)
                {
                    await audit.RecordAsync(begun, 499, "cancelled");
                    throw;
                }

                error ??= messages.Current.Error;
                yield return messages.Current;
            }
        }
        finally
        {
            await messages.DisposeAsync();
        }

        await audit.RecordAsync(begun, error is null ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway, error is null ? "success" : "failed");
    }

    private async Task<(AgentHost Agent, ConsoleAttempt Begun)> BeginAsync(ConsoleOperation operation)
    {
        var begun = await gate.BeginAsync(Policies.Operate, operation.Refused, operation.Action, operation.Host, $"{operation.Host}/{operation.Target}");
        if (agents.Find(operation.Host) is not { } agent)
        {
            await audit.RecordAsync(begun, StatusCodes.Status404NotFound, "failed");
            throw new ConsoleOperationException($"No host is named '{operation.Host}'.");
        }

        return (agent, begun);
    }

    private static int StatusOf(Exception ex) => ex is DockerEngineException engine ? (int)engine.StatusCode : StatusCodes.Status502BadGateway;

    /// <summary>Whether the agent said there is no such object.</summary>
    public static bool IsNotFound(Exception ex) => ex is DockerEngineException { StatusCode: HttpStatusCode.NotFound };
}
