using System.Globalization;
using System.Text;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.Metrics;

/// <summary>One point of a container's metric history.</summary>
public sealed record MetricPoint(
    DateTimeOffset Time, double CpuPercent, double CpuSeconds, long MemoryBytes, long MemoryLimitBytes,
    long NetworkRxBytes, long NetworkTxBytes, long BlockReadBytes, long BlockWriteBytes);

/// <summary>A container's metric history at one resolution (<c>10s</c> or <c>1m</c>).</summary>
public sealed record MetricSeries(string Host, string Container, string Resolution, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<MetricPoint> Points);

public static class MetricsApi
{
    /// <summary>Longest range answered at 10 s resolution when none is asked for.</summary>
    private static readonly TimeSpan AutoFineRange = TimeSpan.FromHours(6);

    private const int MaxPoints = 20_000;

    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/hosts/{host}/containers/{id}/metrics", GetHistoryAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Metrics")
            .WithName("GetContainerMetrics")
            .WithSummary("A container's metric history for graphs")
            .WithDescription("CPU %, memory and cumulative network/block I/O sampled every 10 s (kept a day) and rolled up per minute (kept a week). resolution: 10s, 1m or auto (10s up to 6 hours). from/to: ISO 8601, default the last hour.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        // Prometheus text format 0.0.4. Protected like the API (any signed-in role; give Prometheus a viewer's API token as bearer_token).
        app.MapGet("/metrics", WritePrometheusAsync)
            .RequireAuthorization(Policies.Read)
            .ExcludeFromDescription();
        return app;
    }

    /// <param name="host">Host name.</param>
    /// <param name="id">Container id, id prefix or name.</param>
    /// <param name="agents">The registry.</param>
    /// <param name="contexts">Database.</param>
    /// <param name="time">Clock.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="from">Start (default: an hour before <paramref name="to"/>).</param>
    /// <param name="to">End (default: now).</param>
    /// <param name="resolution">10s, 1m or auto.</param>
    public static async Task<Results<Ok<MetricSeries>, ValidationProblem, ProblemHttpResult>> GetHistoryAsync(
        string host, string id, AgentRegistry agents, IDbContextFactory<ConsoleDbContext> contexts, TimeProvider time,
        CancellationToken cancellationToken, DateTimeOffset? from = null, DateTimeOffset? to = null, string? resolution = null)
    {
        if (agents.Find(host) is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown host", detail: $"No host is named '{host}'.");
        }

        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddHours(-1);
        if (start >= end)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["from"] = ["from must be before to."] });
        }

        int seconds;
        switch (resolution ?? "auto")
        {
            case "10s":
                seconds = MetricSampler.Resolution;
                break;
            case "1m":
                seconds = MetricRollup.Resolution;
                break;
            case "auto":
                seconds = end - start <= AutoFineRange ? MetricSampler.Resolution : MetricRollup.Resolution;
                break;
            default:
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["resolution"] = [$"'{resolution}' is not 10s, 1m or auto."] });
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var series = db.ContainerMetrics.AsNoTracking().Where(m => m.Host == host && m.ResolutionSeconds == seconds);
        var fullId = await series.Where(m => m.ContainerId == id || m.ContainerName == id || m.ContainerId.StartsWith(id))
            .OrderByDescending(m => m.Time).Select(m => m.ContainerId).FirstOrDefaultAsync(cancellationToken);
        if (fullId is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No metrics", detail: $"No metrics of a container '{id}' on {host} at {(seconds == 60 ? "1m" : "10s")} resolution.");
        }

        var points = await series.Where(m => m.ContainerId == fullId && m.Time >= start && m.Time <= end)
            .OrderBy(m => m.Time)
            .Take(MaxPoints)
            .Select(m => new MetricPoint(m.Time, m.CpuPercent, m.CpuSeconds, m.MemoryBytes, m.MemoryLimitBytes, m.NetworkRxBytes, m.NetworkTxBytes, m.BlockReadBytes, m.BlockWriteBytes))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new MetricSeries(host, fullId, seconds == 60 ? "1m" : "10s", start, end, points));
    }

    private static async Task WritePrometheusAsync(HttpContext context, ServerMetrics metrics)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(PrometheusText.Write(metrics), context.RequestAborted);
    }
}

/// <summary>The Prometheus text exposition format (0.0.4), written by hand: a few families need no library.</summary>
public static class PrometheusText
{
    public static string Write(ServerMetrics metrics)
    {
        var text = new StringBuilder();
        Family(text, "containerconsole_http_requests_total", "counter", "HTTP requests served, by method and status code.",
            metrics.Requests.OrderBy(r => r.Key.Method).ThenBy(r => r.Key.Status)
                .Select(r => (Labels(("method", r.Key.Method), ("code", r.Key.Status.ToString(CultureInfo.InvariantCulture))), (double)r.Value)));
        Family(text, "containerconsole_hub_connections", "gauge", "Open SignalR connections, by hub.",
            metrics.HubConnections.OrderBy(h => h.Key).Select(h => (Labels(("hub", h.Key)), (double)h.Value)));
        Family(text, "containerconsole_agent_up", "gauge", "1 when the host's agent answered the last sampling round, else 0.",
            metrics.HostUp.OrderBy(h => h.Key).Select(h => (Labels(("host", h.Key)), h.Value ? 1.0 : 0.0)));

        var samples = metrics.LatestSamples.OrderBy(s => s.Host).ThenBy(s => s.ContainerId).ToList();
        string ContainerLabels(ContainerSample s) => Labels(("host", s.Host), ("id", s.ContainerId), ("name", s.Name ?? ""));
        Family(text, "containerconsole_container_cpu_seconds_total", "counter", "CPU time the container used.",
            samples.Select(s => (ContainerLabels(s), s.CpuSeconds)));
        Family(text, "containerconsole_container_memory_bytes", "gauge", "Memory the container uses, page cache excluded.",
            samples.Select(s => (ContainerLabels(s), (double)s.MemoryBytes)));
        Family(text, "containerconsole_container_memory_limit_bytes", "gauge", "The container's memory limit (the host's memory when unlimited).",
            samples.Select(s => (ContainerLabels(s), (double)s.MemoryLimitBytes)));
        Family(text, "containerconsole_container_network_receive_bytes_total", "counter", "Bytes the container received on all its interfaces.",
            samples.Select(s => (ContainerLabels(s), (double)s.NetworkRxBytes)));
        Family(text, "containerconsole_container_network_transmit_bytes_total", "counter", "Bytes the container sent on all its interfaces.",
            samples.Select(s => (ContainerLabels(s), (double)s.NetworkTxBytes)));
        Family(text, "containerconsole_container_block_read_bytes_total", "counter", "Bytes the container read from block devices.",
            samples.Select(s => (ContainerLabels(s), (double)s.BlockReadBytes)));
        Family(text, "containerconsole_container_block_write_bytes_total", "counter", "Bytes the container wrote to block devices.",
            samples.Select(s => (ContainerLabels(s), (double)s.BlockWriteBytes)));
        return text.ToString();
    }

    private static void Family(StringBuilder text, string name, string type, string help, IEnumerable<(string Labels, double Value)> values)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in values)
        {
            text.Append(name).Append(labels).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static string Labels(params (string Name, string Value)[] labels) =>
        "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{Escape(l.Value)}\"")) + "}";

    /// <summary>Backslash, double quote and newline are escaped in label values.</summary>
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
