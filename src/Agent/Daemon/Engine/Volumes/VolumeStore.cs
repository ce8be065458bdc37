using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Rootfs;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine.Volumes;

/// <summary>
/// The local volume driver: &lt;data-root&gt;/volumes/NAME/_data with NAME/volume.json written atomically last, so a
/// directory without it is a creation that did not finish (swept at start). A removal first renames the directory to a
/// hidden trash name, so a crash half-way never leaves a volume that looks whole. tmpfs volumes and binds of a host
/// directory are mounted on _data while at least one running container uses them.
/// </summary>
public sealed partial class VolumeStore(string volumesDir, EventBus events, ILogger<VolumeStore> log)
{
    private const string MetadataFile = "volume.json";
    private const string TrashPrefix = ".trash-";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly Dictionary<string, VolumeRecord> _volumes = new(StringComparer.Ordinal);
    /// <summary>Volume name → the running containers that have it mounted.</summary>
    private readonly Dictionary<string, HashSet<string>> _users = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex NamePattern();

    public string DataPath(string name) => Path.Combine(volumesDir, name, "_data");

    /// <summary>Loads the stored volumes; removes half-created ones and interrupted removals.</summary>
    public void Load()
    {
        Directory.CreateDirectory(volumesDir);
        foreach (var dir in Directory.EnumerateDirectories(volumesDir))
        {
            var name = Path.GetFileName(dir);
            var meta = Path.Combine(dir, MetadataFile);
            VolumeRecord? v = null;
            if (!name.StartsWith(TrashPrefix, StringComparison.Ordinal) && File.Exists(meta))
            {
                try
                {
                    v = JsonSerializer.Deserialize<VolumeRecord>(File.ReadAllBytes(meta), Json);
                }
                catch (JsonException)
                {
                    // atomic writes: a foreign file, not a torn one; leave it alone
                    log.LogWarning("volume {Name}: unreadable {File}, left alone", name, meta);
                    continue;
                }
            }
            if (v is not null)
            {
                _volumes[v.Name] = v;
                continue;
            }
            log.LogInformation("removing the unfinished volume directory {Dir}", dir);
            DeleteTree(dir);
        }
    }

    /// <summary>Validates a volume name as the local driver does.</summary>
    public static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw EngineException.BadRequest($"create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
    }

    /// <summary>
    /// Docker's create: an existing volume of that name is returned as it is (when the driver matches), a missing name
    /// makes an anonymous volume. Created is false when it already existed.
    /// </summary>
    public (VolumeRecord Volume, bool Created) Create(string? name, string? driver, IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, string>? options)
    {
        driver = string.IsNullOrEmpty(driver) ? "local" : driver;
        if (driver != "local")
            throw new EngineException(404, $"error looking up volume plugin {driver}: plugin \"{driver}\" not found");
        var anonymous = string.IsNullOrEmpty(name);
        name = anonymous ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : name!;
        CheckName(name);
        var opts = new Dictionary<string, string>(options ?? new Dictionary<string, string>());
        CheckOptions(name, opts);
        lock (_lock)
        {
            if (_volumes.TryGetValue(name, out var existing))
                return (existing, false);
            var v = new VolumeRecord
            {
                Name = name, CreatedAt = DateTime.UtcNow, Options = opts,
                Labels = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()),
            };
            if (anonymous)
                v.Labels[VolumeRecord.AnonymousLabel] = "";
            var dir = Path.Combine(volumesDir, name);
            try
            {
                Directory.CreateDirectory(Path.Combine(dir, "_data"));
                AtomicFile.Write(Path.Combine(dir, MetadataFile), JsonSerializer.SerializeToUtf8Bytes(v, Json));
            }
            catch
            {
                DeleteTree(dir);
                throw;
            }
            _volumes[name] = v;
            events.Publish("volume", "create", name, new Dictionary<string, string> { ["driver"] = v.Driver });
            return (v, true);
        }
    }

    /// <summary>The local driver's options: tmpfs, or a bind of an existing directory; other filesystems are refused by name.</summary>
    internal static void CheckOptions(string name, IReadOnlyDictionary<string, string> opts)
    {
        foreach (var key in opts.Keys)
        {
            if (key is not ("type" or "o" or "device"))
                throw EngineException.BadRequest($"create {name}: invalid option key: \"{key}\"");
        }
        if (opts.Count == 0)
            return;
        var type = opts.GetValueOrDefault("type") ?? "";
        var o = (opts.GetValueOrDefault("o") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var device = opts.GetValueOrDefault("device") ?? "";
        if (type == "tmpfs")
            return;
        if (o.Contains("bind") || o.Contains("rbind"))
        {
            if (type is not ("" or "none"))
                throw EngineException.BadRequest($"create {name}: a bind volume takes type none, not {type}");
            if (!device.StartsWith('/') || !Directory.Exists(device))
                throw EngineException.BadRequest($"create {name}: bind device {(device.Length == 0 ? "(empty)" : device)} is not an existing absolute directory");
            return;
        }
        throw EngineException.BadRequest(type.Length == 0
            ? $"create {name}: missing required option: \"type\" (this agent's local driver takes type=tmpfs, or o=bind with device=DIR)"
            : $"create {name}: volume type {type} is not supported by this agent: only tmpfs, or o=bind with device=DIR");
    }

    public VolumeRecord? Find(string name)
    {
        lock (_lock)
            return _volumes.GetValueOrDefault(name);
    }

    public VolumeRecord Get(string name) =>
        Find(name) ?? throw new EngineException(404, $"get {name}: no such volume");

    public IReadOnlyList<VolumeRecord> List()
    {
        lock (_lock)
            return [.. _volumes.Values.OrderBy(v => v.Name, StringComparer.Ordinal)];
    }

    /// <summary>Removes a volume the caller checked no container uses; its data goes too.</summary>
    public void Remove(string name)
    {
        VolumeRecord v;
        string trash;
        lock (_lock)
        {
            v = _volumes.GetValueOrDefault(name) ?? throw new EngineException(404, $"get {name}: no such volume");
            if (_users.TryGetValue(name, out var users) && users.Count > 0)
                throw EngineException.Conflict($"remove {name}: volume is in use - [{string.Join(", ", users)}]");
            var dir = Path.Combine(volumesDir, name);
            RootfsMount.Unmount(DataPath(name)); // a tmpfs/bind left from a crash
            trash = Path.Combine(volumesDir, TrashPrefix + name + "-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.Move(dir, trash);
            _volumes.Remove(name);
        }
        DeleteTree(trash);
        events.Publish("volume", "destroy", name, new Dictionary<string, string> { ["driver"] = v.Driver });
    }

    /// <summary>A running container starts using the volume: its tmpfs or bind is mounted for the first user.</summary>
    public void Acquire(MountPoint m, string containerId)
    {
        lock (_lock)
        {
            var v = _volumes.GetValueOrDefault(m.Name) ?? throw EngineException.BadRequest($"get {m.Name}: no such volume");
            if (!_users.TryGetValue(m.Name, out var users))
                _users[m.Name] = users = [];
            if (users.Count == 0 && v.NeedsHostMount && !RootfsMount.IsMountPoint(DataPath(m.Name)))
                MountDevice(v);
            if (!users.Add(containerId))
                return;
        }
        events.Publish("volume", "mount", m.Name, new Dictionary<string, string>
        {
            ["container"] = containerId, ["destination"] = m.Destination, ["driver"] = "local",
            ["propagation"] = m.Propagation, ["read/write"] = m.RW ? "true" : "false",
        });
    }

    /// <summary>Re-registers a container that was running when the agent started (its mounts are still there).</summary>
    public void Readopt(MountPoint m, string containerId)
    {
        lock (_lock)
        {
            if (!_users.TryGetValue(m.Name, out var users))
                _users[m.Name] = users = [];
            users.Add(containerId);
        }
    }

    /// <summary>The container stopped using the volume; the last user's exit unmounts a tmpfs or bind volume.</summary>
    public void Release(MountPoint m, string containerId)
    {
        lock (_lock)
        {
            if (!_users.TryGetValue(m.Name, out var users) || !users.Remove(containerId))
                return;
            if (users.Count == 0 && _volumes.GetValueOrDefault(m.Name) is { NeedsHostMount: true })
                RootfsMount.Unmount(DataPath(m.Name));
        }
        events.Publish("volume", "unmount", m.Name, new Dictionary<string, string> { ["container"] = containerId, ["driver"] = "local" });
    }

    /// <summary>tmpfs and bind volumes no running container uses are unmounted (after the engine re-adopted what runs).</summary>
    public void UnmountUnused()
    {
        lock (_lock)
        {
            foreach (var v in _volumes.Values.Where(v => v.NeedsHostMount && !(_users.GetValueOrDefault(v.Name)?.Count > 0)))
                RootfsMount.Unmount(DataPath(v.Name));
        }
    }

    /// <summary>The bytes under the volume's data directory (its mounted tmpfs or bind when in use).</summary>
    public long Size(string name) => ContainerEngine.DirectorySize(DataPath(name));

    private unsafe void MountDevice(VolumeRecord v)
    {
        var type = v.Options.GetValueOrDefault("type") ?? "";
        var opts = MountOptions.Parse((v.Options.GetValueOrDefault("o") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries));
        var target = DataPath(v.Name);
        var device = type == "tmpfs" ? "tmpfs" : v.Options["device"];
        var fsType = type == "tmpfs" ? "tmpfs" : null;
        fixed (byte* s = Z(device), t = Z(target), f = fsType is null ? null : Z(fsType), d = Z(opts.Data))
        {
            if (Tmds.Linux.LibC.mount(s, t, f, (Tmds.Linux.ulong_t)opts.Flags, opts.Data.Length == 0 ? null : d) != 0)
                throw new EngineException(500, $"mounting volume {v.Name}: {SyscallException.Last("mount", target).Message}");
        }
        if (opts.IsBind && (opts.Flags & ~(ulong)(Runtime.Plan.KernelConstants.MS_BIND | Runtime.Plan.KernelConstants.MS_REC)) != 0)
        {
            // bind mounts take their other flags (ro, nosuid, ...) only from a remount
            fixed (byte* t = Z(target))
                if (Tmds.Linux.LibC.mount(null, t, null, (Tmds.Linux.ulong_t)(opts.Flags | Runtime.Plan.KernelConstants.MS_REMOUNT), null) != 0)
                {
                    var e = SyscallException.Last("remount", target);
                    RootfsMount.Unmount(target);
                    throw new EngineException(500, $"mounting volume {v.Name}: {e.Message}");
                }
        }
        log.LogInformation("mounted volume {Name} ({Type}) on {Target}", v.Name, type.Length == 0 ? "bind" : type, target);
    }

    /// <summary>Deletes a directory tree without following symlinks (a volume's data is the containers' to shape).</summary>
    private static void DeleteTree(string dir)
    {
        if (!Directory.Exists(dir))
            return;
        RootfsMount.Unmount(Path.Combine(dir, "_data"));
        Directory.Delete(dir, recursive: true);
    }

    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");
}
