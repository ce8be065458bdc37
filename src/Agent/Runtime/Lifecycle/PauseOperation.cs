namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>pause/resume: the freezer cgroup stops every task of the container at once.</summary>
public static class PauseOperation
{
    public static void Pause(RuntimeContext ctx, string id)
    {
        var r = ctx.Store.Load(id);
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanPause())
            throw ContainerStatusGuards.Refuse("pause", id, status);
        ctx.Cgroups(r.CgroupsPath).Freeze();
    }

    public static void Resume(RuntimeContext ctx, string id)
    {
        var r = ctx.Store.Load(id);
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanResume())
            throw ContainerStatusGuards.Refuse("resume", id, status);
        ctx.Cgroups(r.CgroupsPath).Thaw();
    }
}
