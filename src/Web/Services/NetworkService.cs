namespace ContainerConsole.Web.Services;

/// <summary>One address range of a network.</summary>
public sealed record NetworkSubnet(string Subnet, string? Gateway);

/// <summary>A container attached to a network, with its address there.</summary>
public sealed record NetworkEndpoint(ContainerLink Container, string? IPv4Address);

/// <summary>A network of a host, with the containers attached to it.</summary>
public sealed record NetworkSummary(
    string Host,
    string Id,
    string Name,
    string Driver,
    IReadOnlyList<NetworkSubnet> Subnets,
    bool Internal,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<NetworkEndpoint> Containers);

public sealed record NetworkList(IReadOnlyList<NetworkSummary> Networks, IReadOnlyList<HostError> UnreachableHosts);

/// <summary>A network to create (<c>docker network create</c>); no subnet lets the agent choose one.</summary>
public sealed record NetworkCreateRequest(
    string Host,
    string Name,
    string Driver,
    string? Subnet,
    string? Gateway,
    bool Internal,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>Networks of the configured agents. Implemented by the server: changes need the operator role and are audited.</summary>
public interface INetworkService
{
    Task<NetworkList> ListAsync(CancellationToken cancellationToken);

    /// <summary>Creates the network; its id.</summary>
    /// <exception cref="ConsoleAccessDeniedException">The user's role does not allow it.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached; the message says why.</exception>
    Task<string> CreateAsync(NetworkCreateRequest request, CancellationToken cancellationToken);

    Task RemoveAsync(string host, string network, CancellationToken cancellationToken);

    /// <summary>Attaches (<paramref name="connect"/>) or detaches a container.</summary>
    Task ConnectAsync(string host, string network, string container, bool connect, CancellationToken cancellationToken);

    /// <summary>Removes networks no container uses.</summary>
    Task<PruneResult> PruneAsync(string host, CancellationToken cancellationToken);
}
