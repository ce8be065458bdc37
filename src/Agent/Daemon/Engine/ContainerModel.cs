using System.Text.Json;
using System.Text.Json.Serialization;

namespace ContainerConsole.Agent.Engine;

/// <summary>Config as in the Docker Engine API's ContainerConfig (the part the engine supports so far).</summary>
public class ContainerConfig
{
    public string? Hostname { get; set; }
    public string? User { get; set; }
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public bool Tty { get; set; }
    public bool OpenStdin { get; set; }
    /// <summary>Close the container's stdin when the first attached client's input ends.</summary>
    public bool StdinOnce { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public List<string>? Entrypoint { get; set; }
    public string? Image { get; set; }
    public string? WorkingDir { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string? StopSignal { get; set; }
    public int? StopTimeout { get; set; }
    public HealthConfig? Healthcheck { get; set; }
    /// <summary>"80/tcp": {} — the ports -P publishes (the image's are merged in at create).</summary>
    public Dictionary<string, JsonElement>? ExposedPorts { get; set; }
    /// <summary>Anonymous volumes (docker run -v /path): each path gets a volume unless a mount covers it.</summary>
    public Dictionary<string, JsonElement>? Volumes { get; set; }
}

public sealed class RestartPolicy
{
    public string Name { get; set; } = "no";
    public int MaximumRetryCount { get; set; }
}

public sealed class LogConfig
{
    public string Type { get; set; } = "json-file";
    public Dictionary<string, string>? Config { get; set; }
}

/// <summary>Docker's Resources: the cgroup limits shared by HostConfig (create) and UpdateConfig (update).</summary>
public class Resources
{
    public long Memory { get; set; }
    public long MemorySwap { get; set; }
    public long NanoCpus { get; set; }
    public long CpuShares { get; set; }
    public long CpuQuota { get; set; }
    public long CpuPeriod { get; set; }
    public string? CpusetCpus { get; set; }
    public string? CpusetMems { get; set; }
    public long? PidsLimit { get; set; }
    public ushort BlkioWeight { get; set; }
}

/// <summary>HostConfig as in the Docker Engine API (resource and security fields the runtime honours).</summary>
public sealed class HostConfig : Resources
{
    public List<string>? CapAdd { get; set; }
    public List<string>? CapDrop { get; set; }
    public List<string>? SecurityOpt { get; set; }
    public bool ReadonlyRootfs { get; set; }
    public bool Privileged { get; set; }
    /// <summary>Paths hidden in the container; filled with the defaults at create unless privileged, as dockerd does (an empty list, docker's systempaths=unconfined, hides none).</summary>
    public List<string>? MaskedPaths { get; set; }
    /// <summary>Paths made read-only in the container; filled like <see cref="MaskedPaths"/>.</summary>
    public List<string>? ReadonlyPaths { get; set; }
    public bool AutoRemove { get; set; }
    public bool? OomKillDisable { get; set; }
    public string? NetworkMode { get; set; }
    public string? Runtime { get; set; }
    public RestartPolicy? RestartPolicy { get; set; }
    /// <summary>Container path → tmpfs mount options ("size=64m,mode=1777").</summary>
    public Dictionary<string, string>? Tmpfs { get; set; }
    public bool? Init { get; set; }
    /// <summary>The terminal's initial [height, width] (API 1.42+).</summary>
    public List<uint>? ConsoleSize { get; set; }
    public List<string>? DnsSearch { get; set; }
    public List<string>? DnsOptions { get; set; }

    /// <summary>The agent's logs are always its own json-file-like log; clients (docker-py's run) read the driver here.</summary>
    public LogConfig LogConfig { get; set; } = new();

    public Dictionary<string, JsonElement>? PortBindings { get; set; }
    public bool PublishAllPorts { get; set; }
    public List<string>? Binds { get; set; }
    public List<JsonElement>? Mounts { get; set; }
    public List<string>? VolumesFrom { get; set; }
    /// <summary>Legacy links: refused (UnsupportedSettings); user networks resolve names instead.</summary>
    public List<string>? Links { get; set; }
    public List<DeviceMapping>? Devices { get; set; }
    public List<string>? Dns { get; set; }
    public List<string>? ExtraHosts { get; set; }
    public List<Ulimit>? Ulimits { get; set; }
    /// <summary>Supplementary groups: names (from the image's /etc/group) or ids.</summary>
    public List<string>? GroupAdd { get; set; }
    /// <summary>The size of /dev/shm in bytes; 0 is Docker's 64 MiB.</summary>
    public long ShmSize { get; set; }
    public string? IpcMode { get; set; }
    public string? PidMode { get; set; }
    public string? UTSMode { get; set; }
    public string? CgroupnsMode { get; set; }
    public string? UsernsMode { get; set; }
}

/// <summary>The body of POST /containers/create: the container config with the host config beside it.</summary>
public sealed class CreateContainerRequest : ContainerConfig
{
    public HostConfig? HostConfig { get; set; }
    public NetworkingConfig? NetworkingConfig { get; set; }

    public ContainerConfig ToConfig() => new()
    {
        Hostname = Hostname, User = User, AttachStdin = AttachStdin, AttachStdout = AttachStdout, AttachStderr = AttachStderr,
        Tty = Tty, OpenStdin = OpenStdin, StdinOnce = StdinOnce, Env = Env, Cmd = Cmd, Entrypoint = Entrypoint,
        Image = Image, WorkingDir = WorkingDir, Labels = Labels, StopSignal = StopSignal, StopTimeout = StopTimeout,
        Healthcheck = Healthcheck, ExposedPorts = ExposedPorts, Volumes = Volumes,
    };
}

/// <summary>Docker's State object, plus the monitor identity the agent needs to re-adopt.</summary>
public sealed class ContainerRunState
{
    public string Status { get; set; } = "created";
    public int Pid { get; set; }
    public ulong PidStartTime { get; set; }
    public int ShimPid { get; set; }
    public ulong ShimStartTime { get; set; }
    public int ExitCode { get; set; }
    public bool OOMKilled { get; set; }
    public string Error { get; set; } = "";
    public DateTime StartedAt { get; set; }
    public DateTime FinishedAt { get; set; }
    public int RestartCount { get; set; }
    /// <summary>Null when the container has no health check.</summary>
    public HealthState? Health { get; set; }

    [JsonIgnore]
    public bool IsActive => Status is "running" or "paused";
}

/// <summary>What the agent stores per container in container.json (atomically).</summary>
public sealed class ContainerModel
{
    /// <summary>Serialises this container's start, exit, update, copy and removal; other containers go on meanwhile
    /// (creation and renaming, which check names across containers, take the engine's lock instead).</summary>
    [JsonIgnore]
    public SemaphoreSlim Lock { get; } = new(1, 1);

    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTime Created { get; set; }
    /// <summary>Overlay lower directories, topmost first, ':'-separated.</summary>
    public string Rootfs { get; set; } = "";
    public string ImageId { get; set; } = "";
    public ContainerConfig Config { get; set; } = new();
    public HostConfig HostConfig { get; set; } = new();
    public ContainerRunState State { get; set; } = new();
    public List<string> Args { get; set; } = [];
    public string ProcessLabel { get; set; } = "";
    public string MountLabel { get; set; } = "";
    /// <summary>The user stopped or killed it (dockerd's HasBeenManuallyStopped): unless-stopped keeps it down even across agent restarts.</summary>
    public bool ManuallyStopped { get; set; }
    /// <summary>The networks it joins at each start, by network id (HostConfig.NetworkMode's first).</summary>
    public Dictionary<string, EndpointConfig> Networks { get; set; } = [];
    /// <summary>The mounts resolved at create (volumes, binds, tmpfs): the spec's user mounts and inspect's "Mounts".</summary>
    public List<Volumes.MountPoint> MountPoints { get; set; } = [];
}

/// <summary>The record ccshim writes when the container exits.</summary>
public sealed class ExitRecord
{
    [JsonPropertyName("exitCode")] public int ExitCode { get; set; }
    [JsonPropertyName("signal")] public int Signal { get; set; }
    [JsonPropertyName("oomKillCount")] public long OomKillCount { get; set; }
    [JsonPropertyName("finishedAtUnixNs")] public long FinishedAtUnixNs { get; set; }
}
