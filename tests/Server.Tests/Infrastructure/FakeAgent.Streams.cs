using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>
/// Logs and stats of the fake agent: <see cref="LogBacklog"/> per container (8-byte multiplexed frames, timestamps),
/// a stats stream with rising CPU counters, and one-shot stats.
/// </summary>
public sealed partial class FakeAgent
{
    private int _openStatsStreams;

    /// <summary>Log lines per container id: (time, stream 1/2, text). Followed streams end after the backlog.</summary>
    public Dictionary<string, List<(DateTimeOffset Time, int Stream, string Text)>> LogBacklog { get; } = [];

    /// <summary>Stats streams open now.</summary>
    public int OpenStatsStreams => Volatile.Read(ref _openStatsStreams);

    /// <summary>Interval of the fake stats stream.</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    private void MapStreams(WebApplication app)
    {
        app.MapGet("/containers/{id}/logs", async (HttpContext context, string id, string? tail, string? since) =>
        {
            if (!LogBacklog.TryGetValue(id, out var lines))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync($$"""{"message":"No such container: {{id}}"}""");
                return;
            }

            var from = since is null ? DateTimeOffset.MinValue : DateTimeOffset.UnixEpoch.AddTicks(ParseSince(since) / 100);
            var selected = lines.Where(l => l.Time >= from).ToList();
            if (tail is not null && tail != "all")
            {
                selected = selected.TakeLast(int.Parse(tail, CultureInfo.InvariantCulture)).ToList();
            }

            context.Response.ContentType = "application/vnd.docker.multiplexed-stream";
            foreach (var (time, stream, text) in selected)
            {
                var payload = Encoding.UTF8.GetBytes($"{time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ} {text}\n");
                var header = new byte[8];
                header[0] = (byte)stream;
                header[4] = (byte)(payload.Length >> 24);
                header[5] = (byte)(payload.Length >> 16);
                header[6] = (byte)(payload.Length >> 8);
                header[7] = (byte)payload.Length;
                await context.Response.Body.WriteAsync(header);
                await context.Response.Body.WriteAsync(payload);
            }
        });
        app.MapGet("/containers/{id}/stats", async (HttpContext context, string id, string? stream) =>
        {
            context.Response.ContentType = "application/json";
            if (stream is "0" or "false")
            {
                await context.Response.WriteAsync(StatsJson(id, 0) + "\n");
                return;
            }

            Interlocked.Increment(ref _openStatsStreams);
            try
            {
                for (var i = 0; !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await context.Response.WriteAsync(StatsJson(id, i) + "\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(StatsInterval, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _openStatsStreams);
            }
        });
    }

    /// <summary>
    /// Sample <paramref name="i"/>: the container uses 0.5 s of CPU per 2 s of host CPU time on 2 CPUs (50 %),
    /// 100 MiB of which 20 MiB inactive page cache, of a 1 GiB limit.
    /// </summary>
    public static string StatsJson(string id, int i) => $$$"""
        {"read":"2026-11-29T10:00:{{{i % 60:D2}}}Z","id":"{{{id}}}","name":"/web",
         "cpu_stats":{"cpu_usage":{"total_usage":{{{(i + 1) * 500_000_000L}}}},"system_cpu_usage":{{{(i + 1) * 2_000_000_000L}}},"online_cpus":2},
         "precpu_stats":{"cpu_usage":{"total_usage":{{{i * 500_000_000L}}}},"system_cpu_usage":{{{i * 2_000_000_000L}}},"online_cpus":2},
         "memory_stats":{"usage":104857600,"limit":1073741824,"stats":{"total_inactive_file":20971520}},
         "networks":{"eth0":{"rx_bytes":1000,"tx_bytes":2000},"eth1":{"rx_bytes":1,"tx_bytes":2}},
         "blkio_stats":{"io_service_bytes_recursive":[{"major":8,"minor":0,"op":"Read","value":4096},{"major":8,"minor":0,"op":"Write","value":8192}]}}
        """.ReplaceLineEndings("");
}
