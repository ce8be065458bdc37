namespace ContainerConsole.Web.Services;

/// <summary>How an agent answered the last health check.</summary>
public enum HostState
{
    /// <summary>The agent answered <c>/_ping</c> and <c>/version</c>.</summary>
    Healthy,

    /// <summary>The agent was reached but answered with an error.</summary>
    Unhealthy,

    /// <summary>The agent could not be reached (no socket, connection refused, timeout).</summary>
    Unreachable,
}

/// <summary>Version information reported by an agent's <c>GET /version</c>.</summary>
public sealed record EngineVersionInfo(
    string Version,
    string ApiVersion,
    string? MinApiVersion,
    string? Os,
    string? Arch,
    string? KernelVersion,
    string? GitCommit);

/// <summary>One registered agent and its health.</summary>
/// <param name="Id">The host's id in the server's database (for PUT/DELETE /api/v1/hosts/{id}).</param>
/// <param name="Name">Display name of the host (unique among the configured agents).</param>
/// <param name="Uri">The agent's address, e.g. <c>unix:///run/containerconsole/agent.sock</c>.</param>
/// <param name="MutualTls">True when the server reaches the agent over TCP with a client certificate.</param>
/// <param name="State">Result of the last check.</param>
/// <param name="Version">The engine version when the agent answered.</param>
/// <param name="Error">Why the host is not healthy, when it is not.</param>
/// <param name="CheckedAt">When the check finished.</param>
public sealed record HostStatus(
    int Id,
    string Name,
    string Uri,
    bool MutualTls,
    HostState State,
    EngineVersionInfo? Version,
    string? Error,
    DateTimeOffset CheckedAt);

/// <summary>A container as listed by an agent's <c>GET /containers/json</c>, tagged with its host.</summary>
/// <param name="Host">Name of the host the container lives on.</param>
/// <param name="Id">Full container id.</param>
/// <param name="Names">Names as Docker reports them (with a leading slash).</param>
/// <param name="Image">Image reference the container was created from.</param>
/// <param name="State">Docker state word: created, running, paused, restarting, removing, exited, dead.</param>
/// <param name="Status">Human readable status, e.g. "Up 3 minutes".</param>
/// <param name="Created">Creation time in Unix seconds (as Docker reports it).</param>
/// <param name="Command">The command as <c>docker ps</c> shows it.</param>
/// <param name="Ports">Exposed and published ports.</param>
/// <param name="Labels">The container's labels.</param>
/// <param name="HostAddress">Where the host's published ports are reached from a browser (its agent's address; localhost for a local socket).</param>
/// <param name="ImageId">The id of the image it was created from (its tag may since have moved).</param>
public sealed record ContainerSummary(
    string Host,
    string Id,
    IReadOnlyList<string> Names,
    string Image,
    string State,
    string Status,
    long Created,
    string? Command = null,
    IReadOnlyList<PortMapping>? Ports = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    string? HostAddress = null,
    string? ImageId = null);

/// <summary>A container port, and where it is published on its host when it is.</summary>
/// <param name="Ip">The host address it is bound to (0.0.0.0 or :: for all).</param>
/// <param name="PrivatePort">The port inside the container.</param>
/// <param name="PublicPort">The host port, when published.</param>
/// <param name="Type">tcp, udp or sctp.</param>
public sealed record PortMapping(string? Ip, int PrivatePort, int? PublicPort, string Type);

/// <summary>A host whose containers could not be listed.</summary>
public sealed record HostError(string Host, string Error);

/// <summary>Containers of every reachable host, plus the hosts that could not be asked.</summary>
public sealed record ContainerList(IReadOnlyList<ContainerSummary> Containers, IReadOnlyList<HostError> UnreachableHosts);
