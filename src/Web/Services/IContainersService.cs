namespace ContainerConsole.Web.Services;

/// <summary>Containers of the configured agents. Implemented by the server.</summary>
public interface IContainersService
{
    /// <summary>Lists the containers (running or not) of every host, or of <paramref name="host"/> only.</summary>
    /// <exception cref="KeyNotFoundException"><paramref name="host"/> names no configured host.</exception>
    Task<ContainerList> GetContainersAsync(string? host, CancellationToken cancellationToken);
}
