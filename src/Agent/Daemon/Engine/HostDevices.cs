using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>Docker's HostConfig.Devices entry (docker run --device /dev/x[:/dev/y[:rwm]]).</summary>
public sealed class DeviceMapping
{
    public string PathOnHost { get; set; } = "";
    public string? PathInContainer { get; set; }
    public string? CgroupPermissions { get; set; }
}

/// <summary>
/// Host device nodes for the spec: all of them for --privileged (as dockerd), or the ones --device names. The runtime
/// makes the nodes in the container's /dev and the device cgroup lets them through.
/// </summary>
public static class HostDevices
{
    // Not devices to hand over: per-container by nature (pts, shm, mqueue), or links into /proc (fd, console).
    private static readonly string[] SkippedUnderDev = ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd", "/dev/console"];

    /// <summary>Every char and block device under /dev, for a privileged container.</summary>
    public static List<LinuxDevice> All(string devRoot = "/dev") => Walk(devRoot, devRoot, "/dev").ToList();

    /// <summary>--device: a node, or a directory of nodes; a clear 400 when the host has no such device.</summary>
    public static (List<LinuxDevice> Nodes, List<DeviceCgroupRule> Rules) From(IEnumerable<DeviceMapping> mappings)
    {
        var nodes = new List<LinuxDevice>();
        var rules = new List<DeviceCgroupRule>();
        foreach (var m in mappings)
        {
            var permissions = string.IsNullOrEmpty(m.CgroupPermissions) ? "rwm" : m.CgroupPermissions;
            if (permissions.Any(ch => ch is not ('r' or 'w' or 'm')))
                throw EngineException.BadRequest($"invalid device cgroup permissions {permissions} for {m.PathOnHost}: use r, w and m");
            var target = string.IsNullOrEmpty(m.PathInContainer) ? m.PathOnHost : m.PathInContainer;
            if (!target.StartsWith('/'))
                throw EngineException.BadRequest($"invalid device path in container {target}: must be absolute");
            var found = Directory.Exists(m.PathOnHost)
                ? Walk(m.PathOnHost, m.PathOnHost, target).ToList()
                : Node(m.PathOnHost, target) is { } node ? [node] : throw EngineException.BadRequest($"error gathering device information while adding custom device \"{m.PathOnHost}\": no such file or directory or not a device");
            foreach (var d in found)
            {
                nodes.Add(d);
                rules.Add(new DeviceCgroupRule { Allow = true, Type = d.Type, Major = d.Major, Minor = d.Minor, Access = permissions });
            }
        }
        return (nodes, rules);
    }

    private static IEnumerable<LinuxDevice> Walk(string dir, string hostRoot, string containerRoot)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var inContainer = containerRoot + entry[hostRoot.Length..];
            if (containerRoot == "/dev" && SkippedUnderDev.Contains(inContainer))
                continue;
            if (new FileInfo(entry).LinkTarget is not null)
                continue; // links (stdin, core, ...) are the runtime's to make
            if (Directory.Exists(entry))
            {
                foreach (var d in Walk(entry, hostRoot, containerRoot))
                    yield return d;
            }
            else if (Node(entry, inContainer) is { } node)
            {
                yield return node;
            }
        }
    }

    private static unsafe LinuxDevice? Node(string hostPath, string containerPath)
    {
        Tmds.Linux.stat st;
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(hostPath + "\0"))
        {
            if (Tmds.Linux.LibC.stat(p, &st) != 0) // follows links, as --device does for /dev/disk/by-id/...
                return null;
        }
        var type = ((uint)st.st_mode & 0xF000) switch { 0x2000 => "c", 0x6000 => "b", _ => null };
        if (type is null)
            return null;
        var rdev = (ulong)st.st_rdev;
        // glibc's major()/minor() split of dev_t
        var major = (long)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL));
        var minor = (long)((rdev & 0xff) | ((rdev >> 12) & ~0xffUL));
        return new LinuxDevice
        {
            Path = containerPath, Type = type, Major = major, Minor = minor & 0xffffffff, FileMode = (uint)st.st_mode & 0xfff,
            Uid = (uint)st.st_uid, Gid = (uint)st.st_gid,
        };
    }
}
