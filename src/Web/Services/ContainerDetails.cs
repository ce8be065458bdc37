namespace ContainerConsole.Web.Services;

/// <summary>A mount of a container (Docker's <c>Mounts</c> entry).</summary>
public sealed record MountInfo(string Type, string? Source, string Destination, bool ReadWrite);

/// <summary>A network the container is attached to, with its address there.</summary>
public sealed record NetworkAttachment(string Name, string? IpAddress);

/// <summary>What the overview tab shows, read from the agent's inspect; <see cref="InspectJson"/> is that inspect, indented.</summary>
public sealed record ContainerDetails(
    string Host,
    string Id,
    string Name,
    string Image,
    string State,
    string? Health,
    int? ExitCode,
    string? Error,
    DateTimeOffset? Created,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string Command,
    bool Tty,
    IReadOnlyList<PortMapping> Ports,
    IReadOnlyList<MountInfo> Mounts,
    IReadOnlyList<NetworkAttachment> Networks,
    string RestartPolicy,
    long? MemoryLimit,
    double? Cpus,
    long? PidsLimit,
    IReadOnlyDictionary<string, string> Labels,
    string InspectJson);

/// <summary>One container's inspect. Implemented by the server.</summary>
public interface IContainerDetailsService
{
    /// <exception cref="KeyNotFoundException">No such host or container; the message says which.</exception>
    /// <exception cref="ConsoleOperationException">The host could not be asked.</exception>
    Task<ContainerDetails> GetAsync(string host, string id, CancellationToken cancellationToken);
}
