namespace ContainerConsole.Web.Services;

/// <summary>
/// One message of <see cref="IContainerFeed.WatchAsync"/>. The first is a snapshot of every host; each later one
/// replaces the containers of the hosts it names (<see cref="Hosts"/>), so a page keeps one list and swaps hosts in.
/// </summary>
/// <param name="Hosts">The hosts whose containers this message holds in full.</param>
/// <param name="Containers">The containers of those hosts.</param>
/// <param name="UnreachableHosts">Those of <see cref="Hosts"/> that could not be listed.</param>
/// <param name="IsSnapshot">True for the first message (every host).</param>
public sealed record ContainerFeedUpdate(
    IReadOnlyList<string> Hosts,
    IReadOnlyList<ContainerSummary> Containers,
    IReadOnlyList<HostError> UnreachableHosts,
    bool IsSnapshot);

/// <summary>The containers of every host, kept current from the agents' event streams (polling when those fail).</summary>
public interface IContainerFeed
{
    IAsyncEnumerable<ContainerFeedUpdate> WatchAsync(CancellationToken cancellationToken);
}
