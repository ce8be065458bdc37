using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine.Volumes;

/// <summary>
/// A container's resolved mounts as OCI spec mounts. The runtime resolves each destination inside the container's root
/// (ccinit: openat2 RESOLVE_IN_ROOT), so an image symlink at a destination cannot point a mount at the host.
/// </summary>
public static class VolumeSpecMounts
{
    public static Mount ToSpec(MountPoint m) => m.Type switch
    {
        "tmpfs" => new Mount
        {
            Destination = m.Destination, Type = "tmpfs", Source = "tmpfs",
            Options = ["nosuid", "nodev", "noexec", .. m.TmpfsOptions, m.RW ? "rw" : "ro"],
        },
        _ => new Mount
        {
            Destination = m.Destination, Type = "bind", Source = m.Source,
            Options = ["rbind", m.RW ? "rw" : "ro", m.Propagation.Length > 0 ? m.Propagation : "rprivate"],
        },
    };

    /// <summary>
    /// Adds the mounts: one at a default mount's destination (/dev/shm) replaces it; then every mount is ordered by depth
    /// (stable), so /data is mounted before /data/cache and the defaults keep their order.
    /// </summary>
    public static void Add(RuntimeSpec spec, IReadOnlyList<MountPoint> points)
    {
        if (points.Count == 0)
            return; // the runtime's default order stays as it was
        foreach (var m in points)
        {
            spec.Mounts.RemoveAll(existing => existing.Destination == m.Destination);
            spec.Mounts.Add(ToSpec(m));
        }
        var ordered = spec.Mounts.OrderBy(m => m.Destination.Split('/', StringSplitOptions.RemoveEmptyEntries).Length).ToList();
        spec.Mounts.Clear();
        spec.Mounts.AddRange(ordered);
    }
}
