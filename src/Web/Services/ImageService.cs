namespace ContainerConsole.Web.Services;

/// <summary>An image as <c>docker images</c> lists it, tagged with its host.</summary>
/// <param name="Host">Name of the host it is stored on.</param>
/// <param name="Id">Full image id (<c>sha256:...</c>).</param>
/// <param name="RepoTags">Its tags; empty for a dangling image.</param>
/// <param name="Created">Creation time in Unix seconds.</param>
/// <param name="Size">Size in bytes.</param>
public sealed record ImageSummary(string Host, string Id, IReadOnlyList<string> RepoTags, long Created, long Size);

/// <summary>Images of every reachable host, plus the hosts that could not be asked.</summary>
public sealed record ImageList(IReadOnlyList<ImageSummary> Images, IReadOnlyList<HostError> UnreachableHosts);

/// <summary>One step of an image's history (<c>docker history</c>).</summary>
public sealed record ImageHistoryEntry(string? Id, DateTimeOffset? Created, string CreatedBy, long Size, string? Comment);

/// <summary>What the image detail page shows; <see cref="InspectJson"/> is the agent's inspect, indented.</summary>
/// <param name="Layers">The diff ids of its layers, bottom first.</param>
public sealed record ImageDetails(
    string Host,
    string Id,
    IReadOnlyList<string> RepoTags,
    DateTimeOffset? Created,
    long Size,
    string? Os,
    string? Architecture,
    string? Command,
    IReadOnlyList<string> Layers,
    IReadOnlyList<ImageHistoryEntry> History,
    string InspectJson);

/// <summary>
/// One message of a pull, push, load or build, as the agent sent it: a layer's status and byte counters
/// (<see cref="Layer"/>, <see cref="Current"/>, <see cref="Total"/>), a line of output (<see cref="Output"/>), the id
/// of a finished image (<see cref="ImageId"/>), or the error that ended the work (<see cref="Error"/>).
/// </summary>
public sealed record ImageProgress(
    string? Layer = null,
    string? Status = null,
    long? Current = null,
    long? Total = null,
    string? Output = null,
    string? Error = null,
    string? ImageId = null);

/// <summary>A Dockerfile build from the console.</summary>
/// <param name="Host">Where to build.</param>
/// <param name="Dockerfile">The Dockerfile's text; it replaces any Dockerfile in <see cref="Context"/>.</param>
/// <param name="Context">A tar of the build context, or null for an empty context.</param>
/// <param name="Tags">Tags for the result.</param>
/// <param name="BuildArgs">Build arguments.</param>
/// <param name="NoCache">Run every step again.</param>
public sealed record ImageBuildRequest(
    string Host,
    string Dockerfile,
    Stream? Context,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> BuildArgs,
    bool NoCache);

/// <summary>What a prune removed and the space it gave back (bytes; 0 when the agent does not say).</summary>
public sealed record PruneResult(IReadOnlyList<string> Removed, long SpaceReclaimed);

/// <summary>
/// Images of the configured agents. Implemented by the server: reading needs a signed-in user, every change needs the
/// operator role and is audited (a refused call too), whatever the page showed.
/// </summary>
public interface IImageService
{
    Task<ImageList> ListAsync(CancellationToken cancellationToken);

    /// <exception cref="KeyNotFoundException">No such host or image.</exception>
    Task<ImageDetails> GetAsync(string host, string reference, CancellationToken cancellationToken);

    /// <summary>Pulls <paramref name="reference"/>; the agent's messages as they come. An error ends the stream as its last message.</summary>
    /// <exception cref="ConsoleAccessDeniedException">The user's role does not allow it.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached.</exception>
    IAsyncEnumerable<ImageProgress> PullAsync(string host, string reference, CancellationToken cancellationToken);

    /// <summary>Pushes <paramref name="reference"/> to its registry.</summary>
    IAsyncEnumerable<ImageProgress> PushAsync(string host, string reference, CancellationToken cancellationToken);

    /// <summary>Loads a <c>docker save</c> or OCI archive, streamed to the agent as it is read.</summary>
    IAsyncEnumerable<ImageProgress> LoadAsync(string host, Stream archive, CancellationToken cancellationToken);

    /// <summary>Builds; the output lines and the new image's id come as messages.</summary>
    IAsyncEnumerable<ImageProgress> BuildAsync(ImageBuildRequest request, CancellationToken cancellationToken);

    Task TagAsync(string host, string reference, string repository, string tag, CancellationToken cancellationToken);

    /// <summary>Removes an image or one of its tags; what was untagged and deleted.</summary>
    Task<IReadOnlyList<string>> RemoveAsync(string host, string reference, bool force, CancellationToken cancellationToken);

    /// <summary>Removes dangling images, or every unused one when <paramref name="all"/>.</summary>
    Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken);
}
