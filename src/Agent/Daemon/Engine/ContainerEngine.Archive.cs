using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

public sealed partial class ContainerEngine
{
    /// <summary>
    /// Runs <paramref name="action"/> with the container's root filesystem held as a <see cref="RootDir"/>.
    /// Running: the root its init sees, through /proc/PID/root (its own mounts included; the overlay lives only in its
    /// mount namespace). Stopped: a private overlay of its layers under the exec root, unmounted when done (and
    /// swept at start after a crash); writable only for PUT, and then under the engine lock so the container
    /// cannot start on the same upper directory meanwhile.
    /// </summary>
    public async Task<T> WithRootAsync<T>(ContainerModel c, bool writable, Func<RootDir, Task<T>> action, CancellationToken ct)
    {
        if (c.State.IsActive && OpenProcessRoot(c) is { } live)
        {
            using (live)
                return await action(live);
        }
        if (!writable)
        {
            using var view = OpenOverlayView(c, writable: false, withMounts: true);
            return await action(view);
        }
        await c.Lock.WaitAsync(ct);
        try
        {
            if (c.State.IsActive)
                throw EngineException.Conflict($"Container {c.Id} started while copying; retry");
            using var view = OpenOverlayView(c, writable: true, withMounts: true);
            return await action(view);
        }
        finally
        {
            c.Lock.Release();
        }
    }

    /// <summary>/proc/PID/root of the container's init, checked to still be that process after opening.</summary>
    private static RootDir? OpenProcessRoot(ContainerModel c)
    {
        var init = new ProcessIdentity(c.State.Pid, c.State.PidStartTime);
        if (c.State.Pid <= 0 || !init.IsAlive)
            return null;
        RootDir root;
        try
        {
            root = RootDir.Open($"/proc/{c.State.Pid}/root");
        }
        catch (ContainerConsole.Runtime.Interop.SyscallException)
        {
            return null;
        }
        if (init.IsAlive)
            return root;
        root.Dispose(); // the pid was reused between the check and the open
        return null;
    }

    /// <summary>Overlay views a crash left mounted: detached at start.</summary>
    private void SweepOverlayViews()
    {
        var dir = Path.Combine(options.ExecRoot, "archive");
        if (!Directory.Exists(dir))
            return;
        foreach (var view in Directory.EnumerateDirectories(dir))
        {
            RootfsMount.Unmount(view);
            Directory.Delete(view);
        }
    }

    /// <summary>
    /// The overlay stays mounted while it is used: a lazily detached mount makes every ".." lookup of openat2
    /// RESOLVE_IN_ROOT fail with EAGAIN. A crash leaves it to <see cref="SweepOverlayViews"/>.
    /// <paramref name="withMounts"/>: the container's volumes and binds are mounted at their destinations too (docker cp of a
    /// stopped container reads and writes them, not the layer underneath); the detach at release takes them along.
    /// </summary>
    private RootDir OpenOverlayView(ContainerModel c, bool writable, bool withMounts)
    {
        var dir = Path.Combine(options.ExecRoot, "archive");
        Directory.CreateDirectory(dir);
        var target = Path.Combine(dir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        void Release()
        {
            RootfsMount.Unmount(target);
            Directory.Delete(target);
        }
        try
        {
            if (writable)
                RootfsMount.Mount(c.Rootfs, store.Upper(c.Id), store.Work(c.Id), target);
            else
                RootfsMount.MountReadOnly([store.Upper(c.Id), .. c.Rootfs.Split(':')], target);
            var root = RootDir.Open(target, Release);
            if (withMounts)
            {
                try
                {
                    BindMountsIntoView(c, root, writable);
                }
                catch
                {
                    root.Dispose();
                    throw;
                }
            }
            return root;
        }
        catch
        {
            Release();
            throw;
        }
    }
}
