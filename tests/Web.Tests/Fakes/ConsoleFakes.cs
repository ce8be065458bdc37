using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Tests.Fakes;

/// <summary>A container feed the test drives: the snapshot it was made with, then what <see cref="Push"/> sends.</summary>
public sealed class FakeContainerFeed(IReadOnlyList<ContainerSummary> snapshot) : IContainerFeed
{
    private readonly Channel<ContainerFeedUpdate> _updates = Channel.CreateUnbounded<ContainerFeedUpdate>();

    public void Push(ContainerFeedUpdate update) => _updates.Writer.TryWrite(update);

    public async IAsyncEnumerable<ContainerFeedUpdate> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var hosts = snapshot.Select(c => c.Host).Distinct().ToList();
        yield return new ContainerFeedUpdate(hosts, snapshot, [], IsSnapshot: true);
        await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken))
        {
            yield return update;
        }
    }
}

/// <summary>Records the actions asked for; refuses them all when <see cref="Refuse"/> is set.</summary>
public sealed class FakeContainerActions : IContainerActions
{
    public List<(ContainerAction Action, string Host, string Id)> Calls { get; } = [];

    public string? Refuse { get; set; }

    public Task RunAsync(ContainerAction action, string host, string id, CancellationToken cancellationToken)
    {
        if (Refuse is not null)
        {
            throw new ConsoleAccessDeniedException(Refuse);
        }

        Calls.Add((action, host, id));
        return Task.CompletedTask;
    }
}

public sealed class FakeAccess(ConsoleRights rights) : IConsoleAccess
{
    public static readonly ConsoleRights Viewer = new("vera", "viewer", CanOperate: false, CanAdminister: false);
    public static readonly ConsoleRights Operator = new("otto", "operator", CanOperate: true, CanAdminister: false);

    public Task<ConsoleRights> GetRightsAsync(CancellationToken cancellationToken) => Task.FromResult(rights);
}

public sealed class FakeDetails : IContainerDetailsService
{
    public Task<ContainerDetails> GetAsync(string host, string id, CancellationToken cancellationToken) =>
        Task.FromResult(new ContainerDetails(host, id, "web", "busybox:latest", "running", "healthy", 0, null,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "sh -c 'sleep 1000'", false,
            [new PortMapping("0.0.0.0", 80, 8080, "tcp")], [], [new NetworkAttachment("bridge", "10.0.0.2")], "no",
            64 * 1024 * 1024, 0.5, null, new Dictionary<string, string>(), "{\"Id\": \"" + id + "\"}"));
}

/// <summary>Lines the test gives, then (when following) nothing until cancelled.</summary>
public sealed class FakeLogFeed(IReadOnlyList<LogLine> lines) : ILogFeed
{
    public List<LogQuery> Queries { get; } = [];

    public async IAsyncEnumerable<LogLine> ReadAsync(LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Queries.Add(query);
        foreach (var line in lines)
        {
            yield return line;
        }

        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public string DownloadUrl(LogQuery query, bool timestamps) =>
        $"console/logs/{query.Host}/{query.Id}" + (query.Since is { } since ? $"?since={since.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}&until={query.Until?.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" : "");
}

public static class TestContainers
{
    public static ContainerSummary Make(string name, string host = "local", string state = "running", string image = "busybox:latest",
        long created = 1_700_000_000, IReadOnlyDictionary<string, string>? labels = null, string status = "Up 5 minutes",
        IReadOnlyList<PortMapping>? ports = null) =>
        new(host, name + "0123456789abcdef", ["/" + name], image, state, status, created, "sh -c 'sleep 1000'",
            ports ?? [], labels ?? new Dictionary<string, string>(), "localhost");
}
