using System.Text.Json.Serialization;

namespace ContainerConsole.Agent.Engine.Volumes;

/// <summary>A volume's metadata as the agent stores it (volume.json beside its _data directory).</summary>
public sealed class VolumeRecord
{
    /// <summary>Docker's label on volumes made for `-v /path`, image VOLUMEs and anonymous --mount volumes.</summary>
    public const string AnonymousLabel = "com.docker.volume.anonymous";

    public string Name { get; set; } = "";
    public string Driver { get; set; } = "local";
    public DateTime CreatedAt { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    /// <summary>The local driver's options: type, o, device.</summary>
    public Dictionary<string, string> Options { get; set; } = [];

    [JsonIgnore]
    public bool IsAnonymous => Labels.ContainsKey(AnonymousLabel);

    /// <summary>tmpfs, or a bind of an existing directory: mounted on _data while a container uses the volume.</summary>
    [JsonIgnore]
    public bool NeedsHostMount => Options.Count > 0;
}

/// <summary>
/// One of a container's mounts as the engine resolved it at create: what the OCI spec gets and what inspect's "Mounts"
/// shows. HostConfig keeps what the client asked for.
/// </summary>
public sealed class MountPoint
{
    /// <summary>bind, volume or tmpfs.</summary>
    public string Type { get; set; } = "volume";
    /// <summary>The volume's name (volumes only).</summary>
    public string Name { get; set; } = "";
    /// <summary>The host path bound into the container (a volume's _data); empty for tmpfs.</summary>
    public string Source { get; set; } = "";
    public string Destination { get; set; } = "";
    public string Driver { get; set; } = "";
    /// <summary>The mode words as asked (-v src:dst:MODE), as Docker shows them.</summary>
    public string Mode { get; set; } = "";
    public bool RW { get; set; } = true;
    public string Propagation { get; set; } = "";
    /// <summary>Volumes: do not copy the image's files at the destination into an empty volume.</summary>
    public bool NoCopy { get; set; }
    /// <summary>z (shared) or Z (private) SELinux relabel of the source.</summary>
    public string Relabel { get; set; } = "";
    /// <summary>tmpfs: size=..., mode=... as mount data.</summary>
    public List<string> TmpfsOptions { get; set; } = [];
    /// <summary>Made for this container (Config.Volumes, an image VOLUME, a nameless --mount): removed with rm -v and --rm.</summary>
    public bool Anonymous { get; set; }
}
