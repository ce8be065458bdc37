using System.Globalization;
using System.Text.Json.Serialization;

namespace ContainerConsole.Images.Registry;

/// <summary>One line of Docker's JSON message stream (pull/push progress), as the docker CLI renders it.</summary>
public sealed record ProgressMessage
{
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("progressDetail")] public ProgressDetail? ProgressDetail { get; init; }
    [JsonPropertyName("progress")] public string? Progress { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("aux")] public PushResult? Aux { get; init; }

    public static ProgressMessage Line(string status) => new() { Status = status };

    /// <summary>A per-layer status; the id is the 12-hex short form docker shows.</summary>
    public static ProgressMessage Layer(string digest, string status) => new() { Status = status, Id = ShortId(digest), ProgressDetail = new ProgressDetail() };

    public static ProgressMessage Bytes(string digest, string status, long current, long total) => new()
    {
        Status = status,
        Id = ShortId(digest),
        ProgressDetail = new ProgressDetail { Current = current, Total = total },
        Progress = $"{Human(current)}/{Human(total)}",
    };

    public static string ShortId(string digest) => digest.StartsWith("sha256:", StringComparison.Ordinal) && digest.Length >= 19 ? digest[7..19] : digest;

    private static string Human(long bytes) => bytes switch
    {
        < 1000 => $"{bytes}B",
        < 1000 * 1000 => (bytes / 1000.0).ToString("0.##", CultureInfo.InvariantCulture) + "kB",
        < 1000L * 1000 * 1000 => (bytes / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "MB",
        _ => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "GB",
    };
}

public sealed record ProgressDetail
{
    [JsonPropertyName("current")] public long? Current { get; init; }
    [JsonPropertyName("total")] public long? Total { get; init; }
}

/// <summary>The aux record docker push ends with.</summary>
public sealed record PushResult
{
    [JsonPropertyName("Tag")] public string Tag { get; init; } = "";
    [JsonPropertyName("Digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("Size")] public long Size { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProgressMessage))]
public sealed partial class ProgressJsonContext : JsonSerializerContext;
