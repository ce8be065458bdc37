using System.Text.Json.Serialization;

namespace ContainerConsole.Server.Agents;

/// <summary>Answer of <c>GET /_ping</c>.</summary>
/// <param name="Ok">True when the agent answered 200 with <c>OK</c>.</param>
/// <param name="ApiVersion">The <c>Api-Version</c> header: the newest API version the agent speaks.</param>
public sealed record DockerPing(bool Ok, string? ApiVersion);

/// <summary>Answer of <c>GET /version</c> (the fields the server uses).</summary>
public sealed class DockerVersion
{
    [JsonPropertyName("Version")]
    public string Version { get; init; } = "";

    [JsonPropertyName("ApiVersion")]
    public string ApiVersion { get; init; } = "";

    [JsonPropertyName("MinAPIVersion")]
    public string? MinApiVersion { get; init; }

    [JsonPropertyName("GitCommit")]
    public string? GitCommit { get; init; }

    [JsonPropertyName("Os")]
    public string? Os { get; init; }

    [JsonPropertyName("Arch")]
    public string? Arch { get; init; }

    [JsonPropertyName("KernelVersion")]
    public string? KernelVersion { get; init; }
}

/// <summary>One element of <c>GET /containers/json</c> (the fields the server uses).</summary>
public sealed class DockerContainer
{
    [JsonPropertyName("Id")]
    public string Id { get; init; } = "";

    [JsonPropertyName("Names")]
    public List<string> Names { get; init; } = [];

    [JsonPropertyName("Image")]
    public string Image { get; init; } = "";

    [JsonPropertyName("ImageID")]
    public string? ImageId { get; init; }

    [JsonPropertyName("Command")]
    public string? Command { get; init; }

    [JsonPropertyName("Created")]
    public long Created { get; init; }

    [JsonPropertyName("State")]
    public string State { get; init; } = "";

    [JsonPropertyName("Status")]
    public string Status { get; init; } = "";

    [JsonPropertyName("Labels")]
    public Dictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("Ports")]
    public List<DockerPort>? Ports { get; init; }
}

/// <summary>One element of a listed container's <c>Ports</c>.</summary>
public sealed class DockerPort
{
    [JsonPropertyName("IP")]
    public string? Ip { get; init; }

    [JsonPropertyName("PrivatePort")]
    public int PrivatePort { get; init; }

    [JsonPropertyName("PublicPort")]
    public int? PublicPort { get; init; }

    [JsonPropertyName("Type")]
    public string Type { get; init; } = "tcp";
}

/// <summary>One message of <c>GET /events</c> (the fields the server uses).</summary>
public sealed class DockerEvent
{
    [JsonPropertyName("Type")]
    public string Type { get; init; } = "";

    [JsonPropertyName("Action")]
    public string Action { get; init; } = "";

    [JsonPropertyName("Actor")]
    public DockerEventActor? Actor { get; init; }

    [JsonPropertyName("time")]
    public long Time { get; init; }

    [JsonPropertyName("timeNano")]
    public long TimeNano { get; init; }
}

public sealed class DockerEventActor
{
    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";

    [JsonPropertyName("Attributes")]
    public Dictionary<string, string>? Attributes { get; init; }
}

/// <summary>Docker's error body.</summary>
public sealed class DockerError
{
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

[JsonSerializable(typeof(DockerVersion))]
[JsonSerializable(typeof(List<DockerContainer>))]
[JsonSerializable(typeof(DockerError))]
[JsonSerializable(typeof(DockerEvent))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string?>))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;
