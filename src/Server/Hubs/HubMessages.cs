namespace ContainerConsole.Server.Hubs;

/// <summary>A container on a host, as hub methods name it.</summary>
public sealed record ContainerRef(string Host, string Container);

/// <summary>What <see cref="LogsHub.Follow"/> streams: the last <see cref="Tail"/> lines of each container, then new ones.</summary>
public sealed record LogSubscription(IReadOnlyList<ContainerRef> Containers, int Tail = 100, bool Follow = true);

/// <summary>One log line: <see cref="Stream"/> is <c>stdout</c> or <c>stderr</c>; <see cref="Time"/> is the agent's timestamp.</summary>
public sealed record LogEntry(string Host, string Container, string Stream, DateTimeOffset Time, string Text);

/// <summary>Which events to pass on; an empty or missing list means all.</summary>
public sealed record EventFilter(
    IReadOnlyList<string>? Hosts = null,
    IReadOnlyList<string>? Types = null,
    IReadOnlyList<string>? Actions = null,
    IReadOnlyList<string>? Containers = null);

/// <summary>An agent event tagged with its host.</summary>
public sealed record HostEvent(string Host, string Type, string Action, string? ActorId, IReadOnlyDictionary<string, string> Attributes, long TimeNano);

/// <summary>
/// One progress message of a pull, load or build (Docker's JSON message, flattened): a layer's <see cref="Status"/>
/// and byte counts, or a line of build or load output (<see cref="Stream"/>, without its line end); <see cref="ImageId"/>
/// when the agent announced the resulting image. <see cref="Error"/> ends it and says what went wrong.
/// </summary>
public sealed record ProgressMessage(string? Id, string? Status, string? Progress, long? Current, long? Total, string? Error, string? Stream = null, string? ImageId = null)
{
    public static ProgressMessage Failure(string error) => new(null, null, null, null, null, error);
}

/// <summary>
/// Options of <see cref="ProgressHub.Build"/>: <see cref="Tags"/> for the image, <see cref="BuildArgs"/>,
/// <see cref="NoCache"/> (build every step again), <see cref="Pull"/> (pull base images again), and the
/// <see cref="Dockerfile"/> path in the context (default <c>Dockerfile</c>) and <see cref="Target"/> stage.
/// </summary>
public sealed record BuildOptions(
    IReadOnlyList<string>? Tags = null,
    IReadOnlyDictionary<string, string?>? BuildArgs = null,
    bool NoCache = false,
    bool Pull = false,
    string? Dockerfile = null,
    string? Target = null);

/// <summary>A terminal to open: the command (default <c>/bin/sh</c>) and the window size.</summary>
public sealed record TerminalOptions(IReadOnlyList<string>? Command = null, int Columns = 80, int Rows = 24);

/// <summary>Keystrokes (<see cref="Data"/>) or a new window size (<see cref="Columns"/> and <see cref="Rows"/>).</summary>
public sealed record TerminalInput(string? Data = null, int? Columns = null, int? Rows = null);
