using System.Text.Json.Serialization;

namespace ContainerConsole.Runtime.Spec;

// The OCI runtime-spec (v1.2) config.json, as far as this runtime reads it.
// Property names follow the spec's camelCase through RuntimeSpecJson's naming policy.

public sealed class RuntimeSpec
{
    public string OciVersion { get; set; } = "1.2.0";
    public Root? Root { get; set; }
    public List<Mount> Mounts { get; set; } = [];
    public Process? Process { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public Hooks? Hooks { get; set; }
    public Dictionary<string, string> Annotations { get; set; } = [];
    public Linux? Linux { get; set; }
}

public sealed class Root
{
    public string Path { get; set; } = "";
    public bool Readonly { get; set; }
}

public sealed class Mount
{
    public string Destination { get; set; } = "";
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string> Options { get; set; } = [];
}

public sealed class Process
{
    public bool Terminal { get; set; }
    public ConsoleSize? ConsoleSize { get; set; }
    public User User { get; set; } = new();
    public List<string> Args { get; set; } = [];
    public List<string> Env { get; set; } = [];
    public string Cwd { get; set; } = "/";
    public Capabilities? Capabilities { get; set; }
    public List<Rlimit> Rlimits { get; set; } = [];
    public bool NoNewPrivileges { get; set; }
    public string? ApparmorProfile { get; set; }
    public int? OomScoreAdj { get; set; }
    public string? SelinuxLabel { get; set; }
}

public sealed class ConsoleSize
{
    public uint Height { get; set; }
    public uint Width { get; set; }
}

public sealed class User
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint? Umask { get; set; }
    public List<uint> AdditionalGids { get; set; } = [];
}

public sealed class Capabilities
{
    public List<string> Bounding { get; set; } = [];
    public List<string> Effective { get; set; } = [];
    public List<string> Inheritable { get; set; } = [];
    public List<string> Permitted { get; set; } = [];
    public List<string> Ambient { get; set; } = [];
}

public sealed class Rlimit
{
    public string Type { get; set; } = "";
    public ulong Soft { get; set; }
    public ulong Hard { get; set; }
}

public sealed class Hooks
{
    public List<Hook> Prestart { get; set; } = [];
    public List<Hook> CreateRuntime { get; set; } = [];
    public List<Hook> CreateContainer { get; set; } = [];
    public List<Hook> StartContainer { get; set; } = [];
    public List<Hook> Poststart { get; set; } = [];
    public List<Hook> Poststop { get; set; } = [];
}

public sealed class Hook
{
    public string Path { get; set; } = "";
    public List<string> Args { get; set; } = [];
    public List<string> Env { get; set; } = [];
    public int? Timeout { get; set; }
}

public sealed class Linux
{
    public List<LinuxNamespace> Namespaces { get; set; } = [];
    public List<IdMapping> UidMappings { get; set; } = [];
    public List<IdMapping> GidMappings { get; set; } = [];
    public List<LinuxDevice> Devices { get; set; } = [];
    public string? CgroupsPath { get; set; }
    public LinuxResources? Resources { get; set; }
    public Dictionary<string, string> Sysctl { get; set; } = [];
    public LinuxSeccomp? Seccomp { get; set; }
    public string? RootfsPropagation { get; set; }
    public List<string> MaskedPaths { get; set; } = [];
    public List<string> ReadonlyPaths { get; set; } = [];
    public string? MountLabel { get; set; }
}

public sealed class LinuxNamespace
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
}

public sealed class IdMapping
{
    public uint ContainerID { get; set; }
    public uint HostID { get; set; }
    public uint Size { get; set; }
}

public sealed class LinuxDevice
{
    public string Path { get; set; } = "";
    public string Type { get; set; } = "c";
    public long Major { get; set; }
    public long Minor { get; set; }
    public uint? FileMode { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}

public sealed class LinuxResources
{
    public List<DeviceCgroupRule> Devices { get; set; } = [];
    public MemoryResources? Memory { get; set; }
    public CpuResources? Cpu { get; set; }
    public PidsResources? Pids { get; set; }
    public BlockIoResources? BlockIO { get; set; }
    public Dictionary<string, string> Unified { get; set; } = [];
}

public sealed class DeviceCgroupRule
{
    public bool Allow { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public string? Access { get; set; }
}

public sealed class MemoryResources
{
    public long? Limit { get; set; }
    public long? Reservation { get; set; }
    public long? Swap { get; set; }
    public ulong? Swappiness { get; set; }
    public bool? DisableOOMKiller { get; set; }
}

public sealed class CpuResources
{
    public ulong? Shares { get; set; }
    public long? Quota { get; set; }
    public ulong? Period { get; set; }
    public string? Cpus { get; set; }
    public string? Mems { get; set; }
}

public sealed class PidsResources
{
    public long Limit { get; set; }
}

public sealed class BlockIoResources
{
    public ushort? Weight { get; set; }
}

public sealed class LinuxSeccomp
{
    /// <summary>The profile's JSON as it stood in config.json (a cheap cache key); null when built in memory.</summary>
    [JsonIgnore]
    public byte[]? RawJson { get; set; }

    public string DefaultAction { get; set; } = "";
    public uint? DefaultErrnoRet { get; set; }
    public List<string> Architectures { get; set; } = [];
    public List<string> Flags { get; set; } = [];
    public List<SeccompSyscall> Syscalls { get; set; } = [];
}

public sealed class SeccompSyscall
{
    public List<string> Names { get; set; } = [];
    public string Action { get; set; } = "";
    public uint? ErrnoRet { get; set; }
    public List<SeccompArg> Args { get; set; } = [];
}

public sealed class SeccompArg
{
    public uint Index { get; set; }
    public ulong Value { get; set; }
    public ulong ValueTwo { get; set; }
    public string Op { get; set; } = "";
}

/// <summary>The runtime state document that `state` prints (runtime-spec "State").</summary>
public sealed class ContainerStateDocument
{
    public string OciVersion { get; set; } = "1.2.0";
    public string Id { get; set; } = "";
    public string Status { get; set; } = "";
    public int Pid { get; set; }
    public string Bundle { get; set; } = "";
    public Dictionary<string, string> Annotations { get; set; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(ContainerStateDocument))]
[JsonSerializable(typeof(Process))]
[JsonSerializable(typeof(LinuxResources))]
[JsonSerializable(typeof(LinuxSeccomp))]
public sealed partial class RuntimeSpecJson : JsonSerializerContext;
