using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>update: new cgroup limits for a live container, kept in its state for later reads.</summary>
public static class UpdateOperation
{
    public static void Update(RuntimeContext ctx, string id, LinuxResources resources)
    {
        var r = ctx.Store.Load(id);
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanUpdate())
            throw ContainerStatusGuards.Refuse("update", id, status);
        ctx.Cgroups(r.CgroupsPath).Apply(resources);
        r.Config.Linux ??= new Linux();
        r.Config.Linux.Resources = Merge(r.Config.Linux.Resources, resources);
        r.ConfigJson = null; // no longer the bundle's text
        ctx.Store.Save(r);
    }

    private static LinuxResources Merge(LinuxResources? old, LinuxResources update)
    {
        if (old is null)
            return update;
        old.Memory = update.Memory ?? old.Memory;
        old.Cpu = update.Cpu ?? old.Cpu;
        old.Pids = update.Pids ?? old.Pids;
        old.BlockIO = update.BlockIO ?? old.BlockIO;
        if (update.Devices.Count > 0)
            old.Devices = update.Devices;
        foreach (var (k, v) in update.Unified)
            old.Unified[k] = v;
        return old;
    }
}
