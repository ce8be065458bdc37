namespace ContainerConsole.Web.Services;

/// <summary>Health and version of the configured agents. Implemented by the server.</summary>
public interface IHostsService
{
    /// <summary>Checks every configured agent; an unreachable agent is reported, never thrown.</summary>
    Task<IReadOnlyList<HostStatus>> GetHostsAsync(CancellationToken cancellationToken);
}
