using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>kill: signal init (or, with all, every process in the container's cgroup).</summary>
public static class KillOperation
{
    public static void Kill(RuntimeContext ctx, string id, int signal, bool all = false)
    {
        var r = ctx.Store.Load(id);
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanKill())
            throw ContainerStatusGuards.Refuse("kill", id, status);
        if (all)
        {
            var cg = ctx.Cgroups(r.CgroupsPath);
            foreach (var pid in cg.GetPids())
                Fds.Kill(pid, signal);
            if (status == ContainerStatus.Paused && signal == 9)
                cg.Thaw(); // frozen tasks die only once thawed
            return;
        }
        Fds.Kill(r.InitPid, signal);
        if (status == ContainerStatus.Paused && signal == 9)
            ctx.Cgroups(r.CgroupsPath).Thaw();
    }
}
