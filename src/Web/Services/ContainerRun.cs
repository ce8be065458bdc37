namespace ContainerConsole.Web.Services;

/// <summary>A published port: <c>hostIp:hostPort:containerPort/protocol</c>; no host port means any free one.</summary>
public sealed record RunPort(int ContainerPort, string Protocol = "tcp", int? HostPort = null, string? HostIp = null);

/// <summary>A mount as <c>docker run --mount</c>: type <c>volume</c> (source a volume name, none for a new anonymous one), <c>bind</c> (source an absolute host path) or <c>tmpfs</c> (no source).</summary>
public sealed record RunMount(string Type, string? Source, string Target, bool ReadOnly = false);

/// <summary>A shell health check (Docker's <c>CMD-SHELL</c>) with its timings.</summary>
public sealed record RunHealthCheck(string Command, TimeSpan? Interval = null, TimeSpan? Timeout = null, int? Retries = null, TimeSpan? StartPeriod = null);

/// <summary>
/// The run dialog's settings, in the words of <c>docker run</c>. The server turns them into its REST create model
/// (ContainerSpec) and checks them there, so the dialog and the REST API accept exactly the same things.
/// </summary>
public sealed record RunRequest(
    string Image,
    string? Name = null,
    IReadOnlyList<string>? Cmd = null,
    IReadOnlyList<string>? Entrypoint = null,
    IReadOnlyList<KeyValuePair<string, string>>? Env = null,
    IReadOnlyList<RunPort>? Ports = null,
    IReadOnlyList<string>? Volumes = null,
    string? Network = null,
    string? Memory = null,
    double? Cpus = null,
    long? PidsLimit = null,
    string? RestartPolicy = null,
    RunHealthCheck? HealthCheck = null,
    IReadOnlyList<string>? CapAdd = null,
    IReadOnlyList<string>? CapDrop = null,
    bool ReadOnly = false,
    string? User = null,
    IReadOnlyList<KeyValuePair<string, string>>? Labels = null,
    string? Hostname = null,
    bool Tty = false,
    IReadOnlyList<RunMount>? Mounts = null,
    string? WorkingDir = null,
    IReadOnlyList<string>? NetworkAliases = null);

/// <summary>What the run dialog offers on a host: its tagged images (for suggestions) and its networks.</summary>
public sealed record RunChoices(IReadOnlyList<string> Images, IReadOnlyList<string> Networks);

/// <summary>Creates and starts containers for the signed-in user. Implemented by the server (operator role, audited).</summary>
public interface IContainerRunner
{
    /// <exception cref="ConsoleOperationException">The host could not be asked.</exception>
    Task<RunChoices> GetChoicesAsync(string host, CancellationToken cancellationToken);

    /// <summary>Creates the container and starts it (as <c>docker run -d</c>); returns its id.</summary>
    /// <exception cref="ConsoleValidationException">Settings the server refuses, by field.</exception>
    /// <exception cref="ConsoleAccessDeniedException">The user's role may not run containers.</exception>
    /// <exception cref="ConsoleOperationException">The host refused or could not be reached; the message says why.</exception>
    Task<string> RunAsync(string host, RunRequest request, CancellationToken cancellationToken);
}

/// <summary>Settings refused, with a message per field (the REST API's validation problem keys: image, name, ports[0].hostPort, ...).</summary>
public sealed class ConsoleValidationException(IReadOnlyDictionary<string, string[]> errors)
    : ConsoleOperationException(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
