namespace ContainerConsole.Web.Services;

/// <summary>What a user can do to a container from the console.</summary>
public enum ContainerAction
{
    Start,
    Stop,
    Restart,
    Kill,
    Pause,
    Unpause,
    Remove,
}

/// <summary>
/// Changes containers on behalf of the signed-in user. Implemented by the server, which checks the user's role
/// and writes the audit entry itself: a page hiding a button is a courtesy, this is the rule.
/// </summary>
public interface IContainerActions
{
    /// <summary>Runs <paramref name="action"/> on container <paramref name="id"/> of <paramref name="host"/>.</summary>
    /// <exception cref="ConsoleAccessDeniedException">The user's role does not allow it.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached; the message says why.</exception>
    Task RunAsync(ContainerAction action, string host, string id, CancellationToken cancellationToken);
}

/// <summary>The signed-in user's role does not allow what was asked.</summary>
public sealed class ConsoleAccessDeniedException(string message) : Exception(message);

/// <summary>An operation the user may do failed; the message names the host's reason.</summary>
public class ConsoleOperationException(string message, Exception? inner = null) : Exception(message, inner);
