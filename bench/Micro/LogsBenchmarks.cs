using System.Text;
using BenchmarkDotNet.Attributes;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Bench.Micro;

/// <summary>
/// GET /containers/{id}/logs (`docker logs`) of a log of 100,000 lines as ccshim writes them (CRI format, stdout and
/// stderr mixed, ~10 MiB, the default rotation size): reading and parsing alone, then the endpoint's whole backlog path
/// (parse, filter, tail, Docker's multiplexed frames) for all lines and for --tail 100.
/// </summary>
[MemoryDiagnoser]
public class LogsBenchmarks
{
    private const int Lines = 100_000;

    private Scratch _scratch = null!;
    private string _log = "";

    [GlobalSetup]
    public void Setup()
    {
        _scratch = new Scratch();
        _log = Path.Combine(_scratch.Path, "container.log");
        var random = new Random(42);
        var t = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        using var w = new StreamWriter(_log, false, new UTF8Encoding(false));
        for (var i = 0; i < Lines; i++)
        {
            t = t.AddTicks(random.Next(1, 20_000));
            var stream = i % 10 == 9 ? "stderr" : "stdout";
            var text = $"172.17.0.{i % 250 + 1} - - [01/Dec/2026:00:00:{i % 60:00} +0000] \"GET /api/items/{random.Next(100_000)} HTTP/1.1\" 200 {random.Next(10_000)} \"-\" \"curl/7.88.1\"";
            // ccshim: seconds, then nanoseconds in 9 digits
            w.Write($"{t:yyyy-MM-ddTHH:mm:ss}.{t.Ticks % TimeSpan.TicksPerSecond * 100:000000000}Z {stream} F {text}\n");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _scratch.Dispose();

    [Benchmark]
    public int ReadAndParse() => ContainerLog.Read(_log, 1).Count();

    [Benchmark]
    public Task LogsAll() => ContainersApi.WriteBacklog(Stream.Null, ContainerLog.Read(_log, 1), Wanted, int.MaxValue, timestamps: false, raw: false, CancellationToken.None);

    [Benchmark]
    public Task LogsTail100() => ContainersApi.WriteBacklog(Stream.Null, ContainerLog.Read(_log, 1), Wanted, 100, timestamps: false, raw: false, CancellationToken.None);

    private static bool Wanted(LogEntry e) => true;
}
