namespace ContainerConsole.Server.Containers;

/// <summary>A published port: <c>hostIp:hostPort → containerPort/protocol</c>.</summary>
/// <param name="ContainerPort">1–65535.</param>
/// <param name="Protocol"><c>tcp</c> (default), <c>udp</c> or <c>sctp</c>.</param>
/// <param name="HostPort">0 or absent: any free port.</param>
/// <param name="HostIp">Address to bind on the host; absent: all.</param>
public sealed record PortSpec(int ContainerPort, string? Protocol = null, int? HostPort = null, string? HostIp = null);

/// <summary>A mount, as Docker's <c>--mount</c>.</summary>
/// <param name="Type"><c>volume</c> (default), <c>bind</c> or <c>tmpfs</c>.</param>
/// <param name="Source">Volume name, or an absolute host path for <c>bind</c>; none for <c>tmpfs</c>.</param>
/// <param name="Target">Absolute path in the container.</param>
/// <param name="ReadOnly">Mount read-only.</param>
public sealed record MountSpec(string? Type, string? Source, string? Target, bool ReadOnly = false);

/// <summary>A network to attach to, with the extra names the container has on it.</summary>
public sealed record NetworkSpec(string? Name, IReadOnlyList<string>? Aliases = null);

/// <summary>A health check, as the Dockerfile's HEALTHCHECK.</summary>
/// <param name="Test"><c>["CMD", exe, args...]</c>, <c>["CMD-SHELL", "command"]</c> or <c>["NONE"]</c>.</param>
/// <param name="Interval">Between checks (e.g. <c>"00:00:30"</c>).</param>
/// <param name="Timeout">Before a check counts as failed.</param>
/// <param name="Retries">Failures in a row before unhealthy.</param>
/// <param name="StartPeriod">Failures during this time after start do not count.</param>
public sealed record HealthCheckSpec(IReadOnlyList<string>? Test, TimeSpan? Interval = null, TimeSpan? Timeout = null, int? Retries = null, TimeSpan? StartPeriod = null);

/// <summary>
/// Everything needed to run a container, in the words of <c>docker run</c>. Translated to Docker's create body by
/// <see cref="ContainerSpecs.ToCreateBody"/>; checked by <see cref="ContainerSpecs.Validate"/>.
/// </summary>
/// <param name="Image">Image reference (<c>busybox</c>, <c>registry:5000/team/app:1.2</c>, <c>app@sha256:...</c>) or image id.</param>
/// <param name="Name">Container name (POST create; the desired-state PUT takes it from the path).</param>
/// <param name="Cmd">Command and arguments (overrides the image's CMD).</param>
/// <param name="Entrypoint">Overrides the image's ENTRYPOINT.</param>
/// <param name="Env">Environment variables.</param>
/// <param name="Ports">Published ports.</param>
/// <param name="Volumes">Binds as <c>docker run -v</c>: <c>SOURCE:TARGET[:ro|rw]</c> (SOURCE a volume name or an absolute host path).</param>
/// <param name="Mounts">Mounts as <c>docker run --mount</c>.</param>
/// <param name="Networks">Networks to join; the first is the container's network mode. Absent: the default bridge.</param>
/// <param name="Memory">Memory limit: bytes, or with a unit <c>k</c>, <c>m</c>, <c>g</c> (e.g. <c>"256m"</c>).</param>
/// <param name="Cpus">CPU limit in cores (e.g. 0.5).</param>
/// <param name="PidsLimit">Most processes at once.</param>
/// <param name="RestartPolicy"><c>no</c>, <c>always</c>, <c>unless-stopped</c> or <c>on-failure[:N]</c>.</param>
/// <param name="HealthCheck">Overrides the image's health check.</param>
/// <param name="CapAdd">Capabilities to add (e.g. <c>NET_ADMIN</c>).</param>
/// <param name="CapDrop">Capabilities to drop (<c>ALL</c> for every one).</param>
/// <param name="ReadOnly">Read-only root filesystem.</param>
/// <param name="User"><c>user[:group]</c> by name or number.</param>
/// <param name="WorkingDir">Absolute working directory.</param>
/// <param name="Labels">Container labels (<c>com.containerconsole.</c> is reserved).</param>
/// <param name="Tty">Allocate a terminal.</param>
/// <param name="Hostname">Host name inside the container.</param>
public sealed record ContainerSpec(
    string? Image,
    string? Name = null,
    IReadOnlyList<string>? Cmd = null,
    IReadOnlyList<string>? Entrypoint = null,
    IReadOnlyDictionary<string, string>? Env = null,
    IReadOnlyList<PortSpec>? Ports = null,
    IReadOnlyList<string>? Volumes = null,
    IReadOnlyList<MountSpec>? Mounts = null,
    IReadOnlyList<NetworkSpec>? Networks = null,
    string? Memory = null,
    double? Cpus = null,
    long? PidsLimit = null,
    string? RestartPolicy = null,
    HealthCheckSpec? HealthCheck = null,
    IReadOnlyList<string>? CapAdd = null,
    IReadOnlyList<string>? CapDrop = null,
    bool? ReadOnly = null,
    string? User = null,
    string? WorkingDir = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    bool? Tty = null,
    string? Hostname = null);

/// <summary>Live changes of a running container's limits (<c>docker update</c>); absent fields stay as they are.</summary>
public sealed record ContainerLimits(string? Memory = null, double? Cpus = null, long? PidsLimit = null, string? RestartPolicy = null);
