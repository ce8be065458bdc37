namespace ContainerConsole.Web.Services;

/// <summary>
/// An agent to register: a name and an address (<c>unix:///path.sock</c>, <c>tcp://host:port</c>) and, for mutual TLS
/// over TCP, the paths of three PEM files on the server (CA, client certificate, its key).
/// </summary>
public sealed record HostRegistrationRequest(string Name, string Uri, string? CaCert = null, string? Cert = null, string? Key = null)
{
    public bool MutualTls => !string.IsNullOrWhiteSpace(CaCert) || !string.IsNullOrWhiteSpace(Cert) || !string.IsNullOrWhiteSpace(Key);
}

/// <summary>
/// Registers, changes and removes agents (admin). Implemented by the server on the REST host API's logic; every attempt is
/// checked and audited there.
/// </summary>
public interface IHostAdmin
{
    /// <returns>The new host, checked once.</returns>
    /// <exception cref="ConsoleAccessDeniedException">The user is not an admin.</exception>
    /// <exception cref="ConsoleOperationException">The registration was refused; the message names the problem.</exception>
    Task<HostStatus> RegisterAsync(HostRegistrationRequest request, CancellationToken cancellationToken);

    /// <summary>Replaces the host's name, address and TLS files (null TLS files: no TLS).</summary>
    /// <returns>The changed host, checked once.</returns>
    /// <exception cref="ConsoleAccessDeniedException">The user is not an admin.</exception>
    /// <exception cref="ConsoleOperationException">No such host, or the change was refused; the message names the problem.</exception>
    Task<HostStatus> UpdateAsync(int id, HostRegistrationRequest request, CancellationToken cancellationToken);

    /// <exception cref="ConsoleAccessDeniedException">The user is not an admin.</exception>
    /// <exception cref="ConsoleOperationException">No such host.</exception>
    Task RemoveAsync(int id, string name, CancellationToken cancellationToken);
}
