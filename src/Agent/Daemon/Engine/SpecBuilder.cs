using System.Globalization;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>Turns Docker's container settings into an OCI runtime spec with the default confinement (rule 6).</summary>
public static class SpecBuilder
{
    public const long DefaultCpuPeriod = 100_000;

    /// <summary>overlayInRuntime: ccrun mounts the overlay inside the container's mount namespace
    /// (nothing to leak on the host); any other runtime gets a rootfs the engine mounted.</summary>
    public static RuntimeSpec Build(ContainerModel c, string upperDir, string workDir, bool overlayInRuntime)
    {
        var args = c.Args;
        var hostname = string.IsNullOrEmpty(c.Config.Hostname) ? c.Id[..12] : c.Config.Hostname;
        var spec = DefaultSpec.Create("rootfs", args, hostname);
        var process = spec.Process!;
        var linux = spec.Linux!;
        var hc = c.HostConfig;

        var env = c.Config.Env ?? [];
        process.Env = env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal))
            ? [.. env]
            : ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", .. env];
        if (!string.IsNullOrEmpty(c.Config.WorkingDir))
            process.Cwd = c.Config.WorkingDir;
        if (!string.IsNullOrEmpty(c.Config.User))
            process.User = ParseUser(c.Config.User, c.Rootfs.Split(':'));
        if (c.Config.Tty)
        {
            // The monitor receives the terminal's master through its console socket.
            process.Terminal = true;
            process.ConsoleSize = ConsoleSizeOf(c.HostConfig.ConsoleSize);
            if (!process.Env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)))
                process.Env.Add("TERM=xterm"); // as docker does for a terminal
        }

        if (hc.MaskedPaths is { } masked)
            linux.MaskedPaths = [.. masked];
        if (hc.ReadonlyPaths is { } readOnly)
            linux.ReadonlyPaths = [.. readOnly];
        var caps = Capabilities(hc);
        process.Capabilities = new Capabilities { Bounding = caps, Effective = [.. caps], Permitted = [.. caps] };
        linux.Seccomp = DefaultSeccompProfile.For(caps);
        foreach (var opt in hc.SecurityOpt ?? [])
        {
            var (key, value) = opt.Contains('=') ? (opt[..opt.IndexOf('=')], opt[(opt.IndexOf('=') + 1)..]) : (opt, "true");
            switch (key)
            {
                case "no-new-privileges":
                    process.NoNewPrivileges = value != "false";
                    break;
                case "seccomp" when value == "unconfined":
                    linux.Seccomp = null;
                    break;
                case "label":
                    break; // chosen by the engine's labeler (sVirt), applied below
                case "apparmor" when !Directory.Exists("/sys/kernel/security/apparmor"):
                    break; // as dockerd on a kernel without AppArmor: nothing to apply
                default:
                    throw EngineException.BadRequest($"unsupported security option \"{opt}\"");
            }
        }
        if (hc.Privileged)
        {
            var all = AllOwnCapabilities();
            process.Capabilities = new Capabilities { Bounding = all, Effective = [.. all], Permitted = [.. all] };
            linux.Seccomp = null;
            linux.MaskedPaths = [];
            linux.ReadonlyPaths = [];
            linux.Resources!.Devices = [new DeviceCgroupRule { Allow = true, Access = "rwm" }];
            linux.Devices.AddRange(HostDevices.All());
            spec.Mounts.First(m => m.Destination == "/sys").Options.Remove("ro");
        }
        if (hc.Devices is { Count: > 0 } devices)
        {
            var (nodes, rules) = HostDevices.From(devices);
            linux.Devices.AddRange(nodes.Where(n => !linux.Devices.Any(d => d.Path == n.Path)));
            linux.Resources!.Devices.AddRange(rules);
        }
        if (c.ProcessLabel.Length > 0)
        {
            process.SelinuxLabel = c.ProcessLabel;
            linux.MountLabel = c.MountLabel;
        }
        spec.Root!.Readonly = hc.ReadonlyRootfs;
        linux.CgroupsPath = $"/containerconsole/{c.Id}";
        linux.Resources!.Memory = hc.Memory > 0 || hc.MemorySwap != 0 || hc.OomKillDisable == true
            ? new MemoryResources
            {
                Limit = hc.Memory > 0 ? hc.Memory : null,
                // Docker: MemorySwap 0 means "twice the memory"; -1 unlimited.
                Swap = hc.MemorySwap switch { 0 when hc.Memory > 0 => hc.Memory * 2, 0 => null, var s => s },
                DisableOOMKiller = hc.OomKillDisable,
            }
            : null;
        var quota = hc.NanoCpus > 0 ? hc.NanoCpus * DefaultCpuPeriod / 1_000_000_000 : hc.CpuQuota;
        if (hc.CpuShares > 0 || quota > 0 || !string.IsNullOrEmpty(hc.CpusetCpus) || !string.IsNullOrEmpty(hc.CpusetMems))
        {
            linux.Resources.Cpu = new CpuResources
            {
                Shares = hc.CpuShares > 0 ? (ulong)hc.CpuShares : null,
                Quota = quota > 0 ? quota : null,
                Period = quota > 0 ? (ulong)(hc.CpuPeriod > 0 ? hc.CpuPeriod : DefaultCpuPeriod) : null,
                Cpus = string.IsNullOrEmpty(hc.CpusetCpus) ? null : hc.CpusetCpus,
                Mems = string.IsNullOrEmpty(hc.CpusetMems) ? null : hc.CpusetMems,
            };
        }
        if (hc.PidsLimit is > 0)
            linux.Resources.Pids = new PidsResources { Limit = hc.PidsLimit.Value };
        if (hc.BlkioWeight > 0)
            linux.Resources.BlockIO = new BlockIoResources { Weight = hc.BlkioWeight };

        process.Rlimits = Ulimit.ToRlimits(hc.Ulimits);
        foreach (var group in hc.GroupAdd ?? [])
            process.User.AdditionalGids.Add(ResolveGroup(group, c.Rootfs.Split(':')));
        if (hc.ShmSize < 0)
            throw EngineException.BadRequest("SHM size can not be less than 0");
        if (hc.ShmSize > 0 && spec.Mounts.Find(m => m.Destination == "/dev/shm") is { } shm)
            shm.Options = [.. shm.Options.Where(o => !o.StartsWith("size=", StringComparison.Ordinal)), $"size={hc.ShmSize}"];
        foreach (var (destination, opts) in hc.Tmpfs ?? [])
            spec.Mounts.Add(Tmpfs(destination, opts));
        Volumes.VolumeSpecMounts.Add(spec, c.MountPoints);

        if (hc.NetworkMode == "host")
            linux.Namespaces.RemoveAll(n => n.Type == "network");
        if (!overlayInRuntime)
            return spec;
        spec.Annotations[InitPlanner.OverlayLowerAnnotation] = c.Rootfs;
        spec.Annotations[InitPlanner.OverlayUpperAnnotation] = upperDir;
        spec.Annotations[InitPlanner.OverlayWorkAnnotation] = workDir;
        return spec;
    }

    /// <summary>"ALL" as dockerd means it: what the agent itself may hold; one outside its bounding set fails (capset EPERM).</summary>
    private static List<string> AllOwnCapabilities()
    {
        var bounding = OwnBoundingSet();
        return Enumerable.Range(0, CapabilitySet.LastCap + 1).Where(n => (bounding >> n & 1) == 1)
            .Select(n => CapabilitySet.NameOf(n)).OfType<string>().ToList();
    }

    /// <summary>The agent's own capability bounding set (CapBnd in /proc/self/status).</summary>
    private static ulong OwnBoundingSet()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        return ulong.Parse(line["CapBnd:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Docker's --tmpfs: noexec,nosuid,nodev unless the options say otherwise (later words win).</summary>
    public static Mount Tmpfs(string destination, string? options)
    {
        if (!destination.StartsWith('/') || destination.Split('/').Contains(".."))
            throw EngineException.BadRequest($"invalid mount config for type \"tmpfs\": invalid mount path: '{destination}' mount path must be absolute");
        if (destination.TrimEnd('/').Length == 0)
            throw EngineException.BadRequest("invalid mount config for type \"tmpfs\": destination can't be '/'");
        var extra = (options ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new Mount { Destination = destination, Type = "tmpfs", Source = "tmpfs", Options = ["noexec", "nosuid", "nodev", .. extra] };
    }

    /// <summary>Docker's [height, width]; none (or zeros) leaves the runtime's default.</summary>
    internal static ConsoleSize? ConsoleSizeOf(IReadOnlyList<uint>? size) =>
        size is [var h, var w] && h > 0 && w > 0 ? new ConsoleSize { Height = h, Width = w } : null;

    private static List<string> Capabilities(HostConfig hc)
    {
        var caps = CapabilitySet.DockerDefault.ToList();
        static string Norm(string name) =>
            CapabilitySet.Normalize(name) ?? throw EngineException.BadRequest($"unknown capability: \"{name}\"");
        var drop = (hc.CapDrop ?? []).ToList();
        if (drop.Any(d => d.Equals("ALL", StringComparison.OrdinalIgnoreCase)))
            caps.Clear();
        else
            caps.RemoveAll(c => drop.Select(Norm).Contains(c));
        foreach (var add in hc.CapAdd ?? [])
        {
            if (add.Equals("ALL", StringComparison.OrdinalIgnoreCase))
                caps = AllOwnCapabilities();
            else if (!caps.Contains(Norm(add)))
                caps.Add(Norm(add));
        }
        return caps;
    }

    /// <summary>uid[:gid] or names, looked up in the image's /etc/passwd and /etc/group (topmost layer first).</summary>
    internal static User ParseUser(string user, IReadOnlyList<string> layers)
    {
        var parts = user.Split(':', 2);
        var uid = Lookup(parts[0], "etc/passwd", layers, out var primaryGid)
                  ?? throw EngineException.BadRequest($"unable to find user {parts[0]}: no matching entries in passwd file");
        uint gid;
        if (parts.Length > 1)
            gid = Lookup(parts[1], "etc/group", layers, out _) ?? throw EngineException.BadRequest($"unable to find group {parts[1]}: no matching entries in group file");
        else
            gid = primaryGid ?? 0;
        return new User { Uid = uid, Gid = gid };
    }

    /// <summary>--group-add: a group id, or a name in the image's /etc/group.</summary>
    internal static uint ResolveGroup(string group, IReadOnlyList<string> layers) =>
        Lookup(group, "etc/group", layers, out _) ?? throw EngineException.BadRequest($"Unable to find group {group}: no matching entries in group file");

    private static uint? Lookup(string nameOrId, string file, IReadOnlyList<string> layers, out uint? primaryGid)
    {
        primaryGid = null;
        var numeric = uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var id);
        var path = layers.Select(l => Path.Combine(l, file)).FirstOrDefault(File.Exists);
        if (path is not null)
        {
            foreach (var line in File.ReadLines(path))
            {
                var f = line.Split(':');
                if (f.Length < 3 || !uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var entryId))
                    continue;
                if (numeric ? entryId == id : f[0] == nameOrId)
                {
                    if (f.Length > 3 && uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var g))
                        primaryGid = g;
                    return entryId;
                }
            }
        }
        return numeric ? id : null; // a numeric id needs no entry
    }
}
