namespace ContainerConsole.Web.Services;

/// <summary>The processes of a running container, as <c>docker top</c> shows them.</summary>
public sealed record ProcessList(IReadOnlyList<string> Titles, IReadOnlyList<IReadOnlyList<string>> Processes);

/// <summary>
/// How a container is confined, read from its inspect and its host's info.
/// </summary>
/// <param name="Namespaces">Namespace → its mode ("private" when the container has its own, "host", "container:ID", ...).</param>
/// <param name="CapAdd">Capabilities added to Docker's default set.</param>
/// <param name="CapDrop">Capabilities dropped from it.</param>
/// <param name="Privileged">Every capability and device: no confinement to speak of.</param>
/// <param name="Seccomp">"default profile", "unconfined" or the profile given.</param>
/// <param name="SeLinuxEnabled">Whether the host enforces SELinux labels at all.</param>
/// <param name="ProcessLabel">The container's SELinux process label, when there is one.</param>
/// <param name="MountLabel">The label of its files, when there is one.</param>
/// <param name="NoNewPrivileges">no_new_privs set.</param>
/// <param name="ReadOnlyRootfs">Read-only root filesystem.</param>
/// <param name="User">The user it runs as ("" means root, the image's default).</param>
/// <param name="ReadonlyPaths">Paths under /proc and /sys mounted read-only.</param>
/// <param name="MaskedPaths">Paths hidden from the container.</param>
/// <param name="SecurityOptions">The raw <c>--security-opt</c> values.</param>
public sealed record SecurityInfo(
    IReadOnlyList<KeyValuePair<string, string>> Namespaces,
    IReadOnlyList<string> CapAdd,
    IReadOnlyList<string> CapDrop,
    bool Privileged,
    string Seccomp,
    bool SeLinuxEnabled,
    string? ProcessLabel,
    string? MountLabel,
    bool NoNewPrivileges,
    bool ReadOnlyRootfs,
    string User,
    IReadOnlyList<string> ReadonlyPaths,
    IReadOnlyList<string> MaskedPaths,
    IReadOnlyList<string> SecurityOptions);

/// <summary>What to commit a container's writable layer as.</summary>
public sealed record CommitImageRequest(string Repository, string Tag, string? Message, string? Author);

/// <summary>The detail page's processes, security, settings and commit. Implemented by the server.</summary>
public interface IContainerInspection
{
    /// <exception cref="ConsoleOperationException">Not running, or the host could not be asked.</exception>
    Task<ProcessList> TopAsync(string host, string id, CancellationToken cancellationToken);

    /// <exception cref="ConsoleOperationException">The host could not be asked.</exception>
    Task<SecurityInfo> SecurityAsync(string host, string id, CancellationToken cancellationToken);

    /// <summary>The container's settings as run settings (its name included), e.g. for a systemd unit.</summary>
    /// <exception cref="ConsoleOperationException">The host could not be asked.</exception>
    Task<RunRequest> RunSettingsAsync(string host, string id, CancellationToken cancellationToken);

    /// <summary>Commits the writable layer to an image (operator role, audited); returns the new image's id.</summary>
    /// <exception cref="ConsoleValidationException">A bad repository or tag.</exception>
    /// <exception cref="ConsoleAccessDeniedException">The user's role may not commit.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached.</exception>
    Task<string> CommitAsync(string host, string id, CommitImageRequest request, CancellationToken cancellationToken);
}
