namespace ContainerConsole.Web.Services;

/// <summary>Which stream a log line came from.</summary>
public enum LogSource
{
    Stdout,
    Stderr,
}

/// <summary>One line a container printed, with the agent's timestamp.</summary>
public sealed record LogLine(LogSource Source, DateTimeOffset Time, string Text);

/// <summary>
/// Which lines to read: the last <see cref="Tail"/> (all when null) of those after <see cref="Since"/> and not after
/// <see cref="Until"/>, then, when <see cref="Follow"/> (and no <see cref="Until"/> in the past), new lines as printed.
/// </summary>
public sealed record LogQuery(string Host, string Id, int? Tail = 1000, DateTimeOffset? Since = null, DateTimeOffset? Until = null, bool Follow = true);

/// <summary>A container's logs. Implemented by the server on the agents' log streams.</summary>
public interface ILogFeed
{
    /// <exception cref="KeyNotFoundException">No such host.</exception>
    IAsyncEnumerable<LogLine> ReadAsync(LogQuery query, CancellationToken cancellationToken);

    /// <summary>The address of the download of these logs as a text file, for the signed-in user.</summary>
    string DownloadUrl(LogQuery query, bool timestamps);
}
