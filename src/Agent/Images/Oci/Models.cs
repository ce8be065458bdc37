using System.Text.Json.Serialization;

namespace ContainerConsole.Images.Oci;

/// <summary>A content descriptor: what a blob is, where (digest) and how big.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")] public string MediaType { get; init; } = "";
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("urls")] public IReadOnlyList<string>? Urls { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    [JsonPropertyName("platform")] public Platform? Platform { get; init; }
}

public sealed record Platform
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("os.version")] public string? OsVersion { get; init; }
    [JsonPropertyName("os.features")] public IReadOnlyList<string>? OsFeatures { get; init; }
    [JsonPropertyName("variant")] public string? Variant { get; init; }
}

/// <summary>OCI image manifest or Docker v2 schema 2 manifest (same shape).</summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("artifactType")] public string? ArtifactType { get; init; }
    [JsonPropertyName("config")] public Descriptor Config { get; init; } = new();
    [JsonPropertyName("layers")] public IReadOnlyList<Descriptor> Layers { get; init; } = [];
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

/// <summary>OCI image index or Docker manifest list.</summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; } = 2;
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("manifests")] public IReadOnlyList<Descriptor> Manifests { get; init; } = [];
    [JsonPropertyName("annotations")] public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}

/// <summary>The image configuration. Top-level keys are lowercase; keys inside "config" are Docker's capitalized ones.</summary>
public sealed record ImageConfig
{
    [JsonPropertyName("architecture")] public string? Architecture { get; init; }
    [JsonPropertyName("os")] public string? Os { get; init; }
    [JsonPropertyName("variant")] public string? Variant { get; init; }
    /// <summary>RFC 3339 text as written by the builder (may carry nanoseconds); see <see cref="CreatedAt"/>.</summary>
    [JsonPropertyName("created")] public string? Created { get; init; }
    [JsonPropertyName("author")] public string? Author { get; init; }
    [JsonPropertyName("config")] public ContainerConfig? Config { get; init; }
    [JsonPropertyName("rootfs")] public RootFs? RootFs { get; init; }
    [JsonPropertyName("history")] public IReadOnlyList<HistoryEntry>? History { get; init; }

    [JsonIgnore] public DateTimeOffset? CreatedAt => Timestamps.Parse(Created);
}

public sealed record ContainerConfig
{
    [JsonPropertyName("User")] public string? User { get; init; }
    [JsonPropertyName("ExposedPorts")] public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }
    [JsonPropertyName("Env")] public IReadOnlyList<string>? Env { get; init; }
    [JsonPropertyName("Entrypoint")] public IReadOnlyList<string>? Entrypoint { get; init; }
    [JsonPropertyName("Cmd")] public IReadOnlyList<string>? Cmd { get; init; }
    [JsonPropertyName("Volumes")] public IReadOnlyDictionary<string, EmptyObject>? Volumes { get; init; }
    [JsonPropertyName("WorkingDir")] public string? WorkingDir { get; init; }
    [JsonPropertyName("Labels")] public IReadOnlyDictionary<string, string>? Labels { get; init; }
    [JsonPropertyName("StopSignal")] public string? StopSignal { get; init; }
    [JsonPropertyName("Healthcheck")] public HealthcheckConfig? Healthcheck { get; init; }
    /// <summary>The Dockerfile SHELL in effect, kept so a later build on this image uses it.</summary>
    [JsonPropertyName("Shell")] public IReadOnlyList<string>? Shell { get; init; }
}

/// <summary>Docker's healthcheck; durations are nanoseconds.</summary>
public sealed record HealthcheckConfig
{
    [JsonPropertyName("Test")] public IReadOnlyList<string>? Test { get; init; }
    [JsonPropertyName("Interval")] public long? Interval { get; init; }
    [JsonPropertyName("Timeout")] public long? Timeout { get; init; }
    [JsonPropertyName("StartPeriod")] public long? StartPeriod { get; init; }
    [JsonPropertyName("StartInterval")] public long? StartInterval { get; init; }
    [JsonPropertyName("Retries")] public int? Retries { get; init; }
}

/// <summary>The value of a JSON set such as ExposedPorts: always <c>{}</c>.</summary>
public sealed record EmptyObject;

public sealed record RootFs
{
    [JsonPropertyName("type")] public string Type { get; init; } = "layers";
    [JsonPropertyName("diff_ids")] public IReadOnlyList<string> DiffIds { get; init; } = [];
}

public sealed record HistoryEntry
{
    [JsonPropertyName("created")] public string? Created { get; init; }
    [JsonPropertyName("created_by")] public string? CreatedBy { get; init; }
    [JsonPropertyName("empty_layer")] public bool? EmptyLayer { get; init; }
    [JsonPropertyName("comment")] public string? Comment { get; init; }
    [JsonPropertyName("author")] public string? Author { get; init; }
}

/// <summary>One entry of a <c>docker save</c> archive's manifest.json.</summary>
public sealed record DockerArchiveManifestEntry
{
    [JsonPropertyName("Config")] public string Config { get; init; } = "";
    [JsonPropertyName("RepoTags")] public IReadOnlyList<string>? RepoTags { get; init; }
    [JsonPropertyName("Layers")] public IReadOnlyList<string> Layers { get; init; } = [];
}

/// <summary>The <c>oci-layout</c> marker file.</summary>
public sealed record OciLayoutFile
{
    [JsonPropertyName("imageLayoutVersion")] public string ImageLayoutVersion { get; init; } = "1.0.0";
}

internal static class Timestamps
{
    public static DateTimeOffset? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // .NET parses at most 7 fractional digits; RFC 3339 from Go carries up to 9.
        var t = System.Text.RegularExpressions.Regex.Replace(text, @"(\.\d{7})\d+", "$1");
        return DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var value) ? value : null;
    }
}
