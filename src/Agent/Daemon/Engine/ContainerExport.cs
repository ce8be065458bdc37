using ContainerConsole.Images.Layers;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// docker export: the container's filesystem as one flat tar. A read-only overlay of its upper dir over its image layers
/// is mounted in a private directory under the exec root (never under a directory something else deletes recursively),
/// streamed, then detached. Mounts a crash left behind are detached on the next start.
/// </summary>
public sealed class ContainerExport(AgentOptions options, ContainerStore store)
{
    private string MountsDir => Path.Combine(options.ExecRoot, "export");

    public async Task WriteAsync(ContainerModel c, Stream output, CancellationToken ct)
    {
        Directory.CreateDirectory(MountsDir);
        var target = Path.Combine(MountsDir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        try
        {
            // With no upperdir overlayfs is read-only; the container's upper layer is simply the topmost lower layer.
            RootfsMount.MountReadOnly([store.Upper(c.Id), .. c.Rootfs.Split(':')], target);
            try
            {
                await LayerDiff.WriteLayerTarAsync(target, output, ct);
            }
            finally
            {
                RootfsMount.Unmount(target);
            }
        }
        finally
        {
            Directory.Delete(target);
        }
    }

    /// <summary>Detaches and removes export mounts left by a crash. Run at start.</summary>
    public void Sweep()
    {
        if (!Directory.Exists(MountsDir))
            return;
        foreach (var dir in Directory.EnumerateDirectories(MountsDir))
        {
            RootfsMount.Unmount(dir);
            Directory.Delete(dir);
        }
    }
}
