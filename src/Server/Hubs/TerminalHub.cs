using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// <c>/hubs/terminal</c> (operator and up): a shell (or any command) in a running container with a TTY. The client
/// streams keystrokes and window sizes in and reads the output; ending the stream closes the exec's connection.
/// Each session is audited: <c>terminal.open</c> (who, from where, host, container, command, whether the exec started)
/// and <c>terminal.close</c> with its duration.
/// </summary>
// Connecting needs a signed-in user (any role); each method names the role it needs, so a viewer hears why.
[Authorize(Policy = Policies.Read)]
public sealed class TerminalHub(LiveFeeds feeds, HubAudit audit, TimeProvider time, ILogger<TerminalHub> logger) : Hub
{
    public const string OpenAction = "terminal.open";

    public const string CloseAction = "terminal.close";

    [HubRole(Policies.Operate, OpenAction, "open terminals")]
    public async IAsyncEnumerable<string> Open(
        string host,
        string container,
        TerminalOptions options,
        IAsyncEnumerable<TerminalInput> input,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var agent = feeds.Host(host);
        if (options.Columns is < 1 or > 1000 || options.Rows is < 1 or > 1000)
        {
            throw new HubException("columns and rows must be between 1 and 1000.");
        }

        var command = options.Command is { Count: > 0 } given ? [.. given] : new List<string> { "/bin/sh" };
        var size = new List<int> { options.Rows, options.Columns };
        var caller = HubAudit.Caller(Context);
        var started = time.GetTimestamp();
        (string ExecId, Stream Stream) session;
        try
        {
            session = await OpenAsync(agent, container, command, size, cancellationToken);
        }
        catch (HubException ex)
        {
            await audit.RecordAsync(caller, OpenAction, host, container, "failed", Details(command, null, ex.Message));
            throw;
        }

        await audit.RecordAsync(caller, OpenAction, host, container, "success", Details(command, session.ExecId, null));
        logger.LogInformation("{User} opened a terminal in {Host}/{Container}: {Command}", caller.UserName, host, container, command);
        await using var connection = session.Stream;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = Task.Run(() => PumpInputAsync(agent, session, input, stop.Token), CancellationToken.None);
        var decoder = Encoding.UTF8.GetDecoder();
        var buffer = new byte[8192];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await connection.ReadAsync(buffer, cancellationToken);
                }
                catch (IOException)
                {
                    break; // the agent closed the connection: the process ended
                }

                if (read == 0)
                {
                    break;
                }

                var count = decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
                if (count > 0)
                {
                    yield return new string(chars, 0, count);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await pump;
            await audit.RecordAsync(caller, CloseAction, host, container, "success", Details(command, session.ExecId, null), time.GetElapsedTime(started));
        }
    }

    private static string Details(List<string> command, string? execId, string? error) =>
        JsonSerializer.Serialize(new TerminalAuditDetails(command, execId, error), HubJsonContext.Default.TerminalAuditDetails);

    private static async Task<(string ExecId, Stream Stream)> OpenAsync(AgentHost agent, string container, List<string> command, List<int> size, CancellationToken cancellationToken)
    {
        try
        {
            var execId = await agent.Client.CreateExecAsync(container, new DockerExecConfig
            {
                AttachStdin = true,
                AttachStdout = true,
                AttachStderr = true,
                Tty = true,
                Cmd = command,
                ConsoleSize = size,
                Env = ["TERM=xterm-256color"],
            }, cancellationToken);
            var stream = await agent.Client.StartExecAsync(execId, new DockerExecStart { Tty = true, ConsoleSize = size }, cancellationToken);
            return (execId, stream);
        }
        catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
        {
            throw new HubException(ex.Message);
        }
    }

    private async Task PumpInputAsync(AgentHost agent, (string ExecId, Stream Stream) session, IAsyncEnumerable<TerminalInput> input, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in input.WithCancellation(cancellationToken))
            {
                if (message.Data is { Length: > 0 } data)
                {
                    await session.Stream.WriteAsync(Encoding.UTF8.GetBytes(data), cancellationToken);
                    await session.Stream.FlushAsync(cancellationToken);
                }

                if (message is { Columns: { } columns and > 0 and <= 1000, Rows: { } rows and > 0 and <= 1000 })
                {
                    await agent.Client.ResizeExecAsync(session.ExecId, rows, columns, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or AgentUnreachableException or DockerEngineException)
        {
            logger.LogDebug("Terminal input to {Exec} stopped: {Error}", session.ExecId, ex.Message);
        }
    }
}

/// <summary>What a terminal's audit entries keep in <c>Details</c>.</summary>
internal sealed record TerminalAuditDetails(IReadOnlyList<string> Command, string? ExecId, string? Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TerminalAuditDetails))]
internal sealed partial class HubJsonContext : JsonSerializerContext;
