using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Tests.Fakes;

/// <summary>Live samples the test pushes, a fixed history, and the limit changes asked for.</summary>
public sealed class FakeResources : IContainerResources
{
    private readonly Channel<ResourceSample> _live = Channel.CreateUnbounded<ResourceSample>();

    public List<ResourceSample> History { get; } = [];

    public List<(string Host, string Id, LimitsChange Change)> Updates { get; } = [];

    public List<(DateTimeOffset From, DateTimeOffset To)> HistoryCalls { get; } = [];

    public Dictionary<string, string[]>? Invalid { get; set; }

    public void Push(ResourceSample sample) => _live.Writer.TryWrite(sample);

    public async IAsyncEnumerable<ResourceSample> LiveAsync(string host, string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var sample in _live.Reader.ReadAllAsync(cancellationToken))
        {
            yield return sample;
        }
    }

    public Task<IReadOnlyList<ResourceSample>> HistoryAsync(string host, string id, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        HistoryCalls.Add((from, to));
        return Task.FromResult<IReadOnlyList<ResourceSample>>(History);
    }

    public Task UpdateLimitsAsync(string host, string id, LimitsChange change, CancellationToken cancellationToken)
    {
        if (Invalid is not null)
        {
            throw new ConsoleValidationException(Invalid);
        }

        Updates.Add((host, id, change));
        return Task.CompletedTask;
    }

    public static ResourceSample Sample(int second, double cpu = 10, long memory = 32 << 20, long limit = 64 << 20, long rx = 0, long tx = 0) =>
        new(DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + second), cpu, memory, limit, rx, tx, 0, 0);
}
