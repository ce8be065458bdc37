namespace ContainerConsole.Web.Services;

/// <summary>A volume of a host, with the containers that mount it.</summary>
/// <param name="Size">Bytes used, when the agent reports it.</param>
/// <param name="UsedBy">Containers mounting it (running or not).</param>
public sealed record VolumeSummary(
    string Host,
    string Name,
    string Driver,
    string? Mountpoint,
    DateTimeOffset? Created,
    IReadOnlyDictionary<string, string> Labels,
    long? Size,
    IReadOnlyList<ContainerLink> UsedBy);

/// <summary>A container named on a volume, network or image row, linking to its page.</summary>
public sealed record ContainerLink(string Host, string Id, string Name);

public sealed record VolumeList(IReadOnlyList<VolumeSummary> Volumes, IReadOnlyList<HostError> UnreachableHosts);

/// <summary>A volume to create (<c>docker volume create</c>).</summary>
public sealed record VolumeCreateRequest(
    string Host,
    string Name,
    string Driver,
    IReadOnlyDictionary<string, string> DriverOptions,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>Volumes of the configured agents. Implemented by the server: changes need the operator role and are audited.</summary>
public interface IVolumeService
{
    Task<VolumeList> ListAsync(CancellationToken cancellationToken);

    /// <exception cref="ConsoleAccessDeniedException">The user's role does not allow it.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached; the message says why.</exception>
    Task CreateAsync(VolumeCreateRequest request, CancellationToken cancellationToken);

    Task RemoveAsync(string host, string name, bool force, CancellationToken cancellationToken);

    /// <summary>Removes unused volumes (every unused one when <paramref name="all"/>, else anonymous ones).</summary>
    Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken);
}
