using System.Text.Json;
using System.Text.Json.Serialization;

namespace ContainerConsole.Server.Agents;

/// <summary>Which stream a log line came from.</summary>
public enum LogStream
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>
/// One line of <c>GET /containers/{id}/logs?timestamps=1</c>: the agent's RFC 3339 timestamp split off.
/// A TTY container's lines all count as stdout (its stream is not multiplexed).
/// </summary>
public sealed record DockerLogLine(LogStream Stream, DateTimeOffset Time, string Text);

/// <summary>One document of <c>GET /containers/{id}/stats</c> (Docker's shape; the fields the server uses).</summary>
public sealed class DockerStats
{
    [JsonPropertyName("read")]
    public DateTimeOffset Read { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("cpu_stats")]
    public DockerCpuStats? CpuStats { get; init; }

    [JsonPropertyName("precpu_stats")]
    public DockerCpuStats? PreCpuStats { get; init; }

    [JsonPropertyName("memory_stats")]
    public DockerMemoryStats? MemoryStats { get; init; }

    [JsonPropertyName("networks")]
    public Dictionary<string, DockerNetworkStats>? Networks { get; init; }

    [JsonPropertyName("blkio_stats")]
    public DockerBlkioStats? BlkioStats { get; init; }
}

public sealed class DockerCpuStats
{
    [JsonPropertyName("cpu_usage")]
    public DockerCpuUsage? CpuUsage { get; init; }

    [JsonPropertyName("system_cpu_usage")]
    public ulong SystemCpuUsage { get; init; }

    [JsonPropertyName("online_cpus")]
    public int OnlineCpus { get; init; }
}

public sealed class DockerCpuUsage
{
    [JsonPropertyName("total_usage")]
    public ulong TotalUsage { get; init; }

    [JsonPropertyName("percpu_usage")]
    public List<ulong>? PercpuUsage { get; init; }
}

public sealed class DockerMemoryStats
{
    [JsonPropertyName("usage")]
    public ulong Usage { get; init; }

    [JsonPropertyName("limit")]
    public ulong Limit { get; init; }

    [JsonPropertyName("stats")]
    public Dictionary<string, ulong>? Stats { get; init; }
}

public sealed class DockerNetworkStats
{
    [JsonPropertyName("rx_bytes")]
    public ulong RxBytes { get; init; }

    [JsonPropertyName("tx_bytes")]
    public ulong TxBytes { get; init; }
}

public sealed class DockerBlkioStats
{
    [JsonPropertyName("io_service_bytes_recursive")]
    public List<DockerBlkioEntry>? IoServiceBytesRecursive { get; init; }
}

public sealed class DockerBlkioEntry
{
    [JsonPropertyName("op")]
    public string Op { get; init; } = "";

    [JsonPropertyName("value")]
    public ulong Value { get; init; }
}

/// <summary>Body of <c>POST /containers/{id}/exec</c>.</summary>
public sealed class DockerExecConfig
{
    public bool AttachStdin { get; init; }

    public bool AttachStdout { get; init; }

    public bool AttachStderr { get; init; }

    public bool Tty { get; init; }

    public List<string> Cmd { get; init; } = [];

    public List<int>? ConsoleSize { get; init; }

    public List<string>? Env { get; init; }
}

public sealed class DockerExecStart
{
    public bool Detach { get; init; }

    public bool Tty { get; init; }

    public List<int>? ConsoleSize { get; init; }
}

public sealed class DockerIdResponse
{
    [JsonPropertyName("Id")]
    public string Id { get; init; } = "";
}

[JsonSerializable(typeof(DockerStats))]
[JsonSerializable(typeof(DockerExecConfig))]
[JsonSerializable(typeof(DockerExecStart))]
[JsonSerializable(typeof(DockerIdResponse))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class DockerStreamJsonContext : JsonSerializerContext;
