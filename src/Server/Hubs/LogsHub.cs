using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

/// <summary>
/// <c>/hubs/logs</c> (viewer and up): the last lines of one or many containers, across hosts, interleaved by
/// their timestamps, then new lines as they are printed. Each subscription has its own agent streams (their
/// backfill differs); a client that falls <see cref="Buffer"/> lines behind is dropped.
/// </summary>
[Authorize(Policy = Policies.Read)]
public sealed class LogsHub(LiveFeeds feeds) : Hub
{
    public const int MaxContainers = 50;
    public const int MaxTail = 10_000;
    public const int Buffer = 4096;

    public IAsyncEnumerable<LogEntry> Follow(LogSubscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.Containers is not { Count: > 0 and <= MaxContainers })
        {
            throw new HubException($"containers: name 1 to {MaxContainers} containers.");
        }

        if (subscription.Tail is < 0 or > MaxTail)
        {
            throw new HubException($"tail: {subscription.Tail} is outside 0..{MaxTail}.");
        }

        var targets = subscription.Containers.Select(c => (Ref: c, Host: feeds.Host(c.Host))).ToList();
        return FollowAsync(targets, subscription, cancellationToken).Explained(cancellationToken);
    }

    private static async IAsyncEnumerable<LogEntry> FollowAsync(
        List<(ContainerRef Ref, AgentHost Host)> targets, LogSubscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;

        // Backfill: every container's last lines, merged into one time order.
        var backfills = await Task.WhenAll(targets.Select(async t =>
        {
            var lines = new List<DockerLogLine>();
            if (subscription.Tail > 0)
            {
                await foreach (var line in t.Host.Client.StreamLogsAsync(t.Ref.Container, subscription.Tail, null, follow: false, cancellationToken))
                {
                    lines.Add(line);
                }
            }

            return lines;
        }));
        var ordered = targets
            .SelectMany((t, i) => backfills[i].Select(line => (t.Ref, line)))
            .OrderBy(e => e.line.Time);
        foreach (var (target, line) in ordered)
        {
            yield return ToEntry(target, line);
        }

        if (!subscription.Follow)
        {
            yield break;
        }

        // Follow from the last line each container showed (or from the request when it had none); a line
        // the agent sends again because its `since` is inclusive is skipped.
        var follows = targets.Select((t, i) =>
        {
            var last = backfills[i].Count > 0 ? backfills[i][^1].Time : (DateTimeOffset?)null;
            return FollowOneAsync(t.Ref, t.Host, last, started, cancellationToken);
        }).ToList();
        await foreach (var entry in StreamMerge.MergeAsync(follows, Buffer, cancellationToken))
        {
            yield return entry;
        }
    }

    private static async IAsyncEnumerable<LogEntry> FollowOneAsync(
        ContainerRef target, AgentHost host, DateTimeOffset? lastShown, DateTimeOffset started, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in host.Client.StreamLogsAsync(target.Container, null, lastShown ?? started, follow: true, cancellationToken))
        {
            if (lastShown is { } last && line.Time <= last)
            {
                continue;
            }

            yield return ToEntry(target, line);
        }
    }

    private static LogEntry ToEntry(ContainerRef target, DockerLogLine line) =>
        new(target.Host, target.Container, line.Stream == LogStream.Stderr ? "stderr" : "stdout", line.Time, line.Text);
}
