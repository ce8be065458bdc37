using System.Text;
using ContainerConsole.Agent.Engine.Volumes;
using ContainerConsole.Runtime.Interop;
using static ContainerConsole.Runtime.Plan.KernelConstants;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The container side of volumes: -v/--mount/--tmpfs/--volumes-from, Config.Volumes and the image's VOLUMEs resolved
/// at create into <see cref="ContainerModel.MountPoints"/>; volumes acquired (and populated by copy-up) at start,
/// released at exit; anonymous volumes removed with rm -v and --rm.
/// </summary>
public sealed partial class ContainerEngine
{
    /// <summary>The containers (any state) whose mounts name the volume: it is in use while one exists.</summary>
    public IReadOnlyList<string> ContainersUsingVolume(string name) =>
        [.. _containers.Values.Where(c => c.MountPoints.Any(m => m.Type == "volume" && m.Name == name)).Select(c => c.Id)];

    /// <summary>
    /// Docker's order: the request's own mounts (Binds, Mounts; Tmpfs stays in HostConfig), then --volumes-from for
    /// destinations not taken, then anonymous volumes for Config.Volumes and the image's VOLUMEs not yet covered.
    /// Volumes this call creates are listed in <paramref name="created"/> so a failed create can remove them.
    /// </summary>
    private List<MountPoint> ResolveMounts(CreateContainerRequest req, string imageId, string mountLabel, List<string> created)
    {
        var hc = req.HostConfig ?? new HostConfig();
        var requests = (hc.Binds ?? []).Select(MountSyntax.ParseBind).Concat((hc.Mounts ?? []).Select(MountSyntax.ParseMount)).ToList();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var destination in requests.Select(r => r.Destination)
                     .Concat((hc.Tmpfs ?? []).Select(t => MountSyntax.ParseTmpfs(t.Key, t.Value).Destination)))
        {
            if (!taken.Add(destination))
                throw EngineException.BadRequest($"Duplicate mount point: {destination}");
        }
        var points = requests.Select(r => Resolve(r, mountLabel, created)).ToList();

        foreach (var spec in hc.VolumesFrom ?? [])
        {
            var (name, readOnly) = MountSyntax.ParseVolumesFrom(spec);
            ContainerModel other;
            try
            {
                other = Get(name);
            }
            catch (EngineException e) when (e.Status == 404)
            {
                throw EngineException.BadRequest($"volumes-from: {e.Message}"); // a 404 from create makes the docker CLI pull
            }
            foreach (var m in other.MountPoints.Where(m => m.Type != "tmpfs" && taken.Add(m.Destination)))
            {
                points.Add(new MountPoint
                {
                    Type = m.Type, Name = m.Name, Source = m.Source, Destination = m.Destination, Driver = m.Driver,
                    Mode = m.Mode, RW = readOnly is { } ro ? !ro : m.RW, Propagation = m.Propagation, NoCopy = true, Relabel = m.Relabel,
                });
            }
        }

        IEnumerable<string> imageVolumes = imageId.Length > 0 ? images.Inspect(imageId).Config.Config?.Volumes?.Keys ?? [] : [];
        IEnumerable<string> requested = req.Volumes is { } v ? v.Keys : [];
        foreach (var path in requested.Concat(imageVolumes))
        {
            var destination = MountSyntax.CleanDestination(path, "volume", $"invalid volume specification: '{path}': ");
            if (taken.Add(destination))
                points.Add(Resolve(new MountRequest("volume", "", destination), mountLabel, created));
        }
        return points;
    }

    private MountPoint Resolve(MountRequest r, string mountLabel, List<string> created)
    {
        var point = new MountPoint
        {
            Type = r.Type, Destination = r.Destination, Mode = r.Mode, RW = !r.ReadOnly, Propagation = r.Propagation,
            NoCopy = r.NoCopy, Relabel = r.Relabel, TmpfsOptions = r.TmpfsOptions,
        };
        switch (r.Type)
        {
            case "bind":
                if (!Path.Exists(r.Source))
                {
                    if (!r.CreateMissingSource)
                        throw EngineException.BadRequest($"invalid mount config for type \"bind\": bind source path does not exist: {r.Source}");
                    Directory.CreateDirectory(r.Source); // as -v does
                }
                point.Source = r.Source;
                break;
            case "volume":
                var (volume, isNew) = volumes.Create(r.Source.Length == 0 ? null : r.Source, r.VolumeDriver, r.VolumeLabels, r.VolumeDriverOptions);
                if (isNew)
                    created.Add(volume.Name);
                point.Name = volume.Name;
                point.Source = volumes.DataPath(volume.Name);
                point.Driver = volume.Driver;
                point.Anonymous = volume.IsAnonymous;
                break;
        }
        if (r.Relabel.Length > 0)
        {
            if (labeler.Enabled && mountLabel.Length > 0)
                SeLinuxRelabel.Apply(point.Source, SeLinuxRelabel.LabelFor(r.Relabel, mountLabel));
            else
                log.LogInformation("mount {Source} on {Destination}: :{Relabel} accepted, SELinux is off so nothing is relabelled", point.Source, r.Destination, r.Relabel);
        }
        return point;
    }

    /// <summary>A failed create leaves no volume it made behind.</summary>
    private void RemoveCreatedVolumes(List<string> created)
    {
        foreach (var name in created)
        {
            try
            {
                volumes.Remove(name);
            }
            catch (EngineException e)
            {
                log.LogWarning("removing volume {Name} after a failed create: {Message}", name, e.Message);
            }
        }
    }

    /// <summary>
    /// Before the runtime starts the container: its volumes are acquired (tmpfs/bind volumes mounted on the host), and an
    /// empty one not marked nocopy gets the image's files at its destination, copied from a read-only overlay of the
    /// container's own layers with the destination resolved inside that root.
    /// </summary>
    private async Task AcquireVolumesAsync(ContainerModel c, CancellationToken ct)
    {
        var acquired = new List<MountPoint>();
        try
        {
            foreach (var m in c.MountPoints.Where(m => m.Type == "volume"))
            {
                volumes.Acquire(m, c.Id);
                acquired.Add(m);
            }
            var toPopulate = acquired.Where(m => !m.NoCopy && VolumeCopyUp.IsEmpty(m.Source)).ToList();
            if (toPopulate.Count == 0)
                return;
            using var view = OpenOverlayView(c, writable: false, withMounts: false);
            foreach (var m in toPopulate)
            {
                if (await VolumeCopyUp.CopyAsync(view, m.Destination, m.Source, log, ct))
                    log.LogInformation("copied the image's {Destination} into volume {Name}", m.Destination, m.Name);
            }
        }
        catch
        {
            foreach (var m in acquired)
                volumes.Release(m, c.Id);
            throw;
        }
    }

    /// <summary>The container no longer runs: its volumes are released (idempotent).</summary>
    private void ReleaseVolumes(ContainerModel c)
    {
        foreach (var m in c.MountPoints.Where(m => m.Type == "volume"))
            volumes.Release(m, c.Id);
    }

    /// <summary>
    /// A stopped container's volumes and binds mounted into its overlay view (for docker cp), each destination resolved
    /// inside the view's root (openat2 RESOLVE_IN_ROOT) and mounted through that descriptor, so an image symlink cannot
    /// place it outside. Read-only where the container has it read-only, or where the view is. A destination the image
    /// lacks is skipped (the runtime creates it at the first start): cp there reaches the layer. tmpfs mounts hold nothing
    /// while the container is stopped, so cp reaches the layer below them, as with dockerd.
    /// </summary>
    private static unsafe void BindMountsIntoView(ContainerModel c, RootDir root, bool writable)
    {
        var ordered = c.MountPoints.Where(m => m.Type is "bind" or "volume")
            .OrderBy(m => m.Destination.Split('/', StringSplitOptions.RemoveEmptyEntries).Length);
        foreach (var m in ordered)
        {
            Microsoft.Win32.SafeHandles.SafeFileHandle fd;
            try
            {
                fd = root.Resolve(m.Destination, RootDir.O_PATH);
            }
            catch (SyscallException e) when (e.Errno is RootDir.ENOENT or RootDir.ENOTDIR)
            {
                continue;
            }
            using (fd)
            {
                var target = $"/proc/self/fd/{(int)fd.DangerousGetHandle()}";
                fixed (byte* s = Z(m.Source), t = Z(target))
                {
                    if (Tmds.Linux.LibC.mount(s, t, null, (Tmds.Linux.ulong_t)(MS_BIND | MS_REC), null) != 0)
                        throw new EngineException(500, $"mounting {m.Source} at {m.Destination} for the copy: {SyscallException.Last("mount", m.Source).Message}");
                }
            }
            if (m.RW && writable)
                continue;
            // The remount must name the new mount, so the destination is opened again (the old fd is the directory underneath).
            using var mounted = root.Resolve(m.Destination, RootDir.O_PATH);
            fixed (byte* t = Z($"/proc/self/fd/{(int)mounted.DangerousGetHandle()}"))
            {
                if (Tmds.Linux.LibC.mount(null, t, null, (Tmds.Linux.ulong_t)(MS_BIND | MS_REMOUNT | MS_RDONLY), null) != 0)
                    throw new EngineException(500, $"making {m.Destination} read-only for the copy: {SyscallException.Last("remount", m.Destination).Message}");
            }
        }
    }

    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private void ReadoptVolumes(ContainerModel c)
    {
        foreach (var m in c.MountPoints.Where(m => m.Type == "volume"))
            volumes.Readopt(m, c.Id);
    }

    /// <summary>rm -v and --rm: the removed container's anonymous volumes go unless another container (--volumes-from) still names them.</summary>
    private void RemoveAnonymousVolumes(ContainerModel c)
    {
        foreach (var m in c.MountPoints.Where(m => m.Type == "volume" && m.Anonymous))
        {
            if (ContainersUsingVolume(m.Name).Count > 0)
                continue;
            try
            {
                volumes.Remove(m.Name);
            }
            catch (EngineException e)
            {
                log.LogWarning("removing anonymous volume {Name} of {Id}: {Message}", m.Name, c.Id, e.Message);
            }
        }
    }
}
