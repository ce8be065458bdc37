using System.Globalization;
using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// A container's logs for the console, on the agent's log stream as the logs hub reads it: the last lines (bounded by
/// <see cref="MaxTail"/>), then, when following, new lines as printed.
/// </summary>
public sealed class ConsoleLogFeed(AgentRegistry agents) : ILogFeed
{
    public const int MaxTail = 100_000;

    public async IAsyncEnumerable<LogLine> ReadAsync(LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var host = agents.Find(query.Host) ?? throw new KeyNotFoundException($"No host is named '{query.Host}'.");
        var tail = query.Tail is { } n ? Math.Clamp(n, 0, MaxTail) : (int?)null;
        var follow = query.Follow && (query.Until is null || query.Until > DateTimeOffset.UtcNow);
        await foreach (var line in host.Client.StreamLogsAsync(query.Id, tail, query.Since, follow, cancellationToken))
        {
            if (query.Until is { } until && line.Time > until)
            {
                yield break;
            }

            yield return new LogLine(line.Stream == LogStream.Stderr ? LogSource.Stderr : LogSource.Stdout, line.Time, line.Text);
        }
    }

    public string DownloadUrl(LogQuery query, bool timestamps)
    {
        var url = $"console/logs/{Uri.EscapeDataString(query.Host)}/{Uri.EscapeDataString(query.Id)}?timestamps={(timestamps ? "true" : "false")}";
        if (query.Since is { } since)
        {
            url += "&since=" + Uri.EscapeDataString(since.ToString("O", CultureInfo.InvariantCulture));
        }

        if (query.Until is { } until)
        {
            url += "&until=" + Uri.EscapeDataString(until.ToString("O", CultureInfo.InvariantCulture));
        }

        return url;
    }
}
