using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>delete: remove the cgroup and state of a stopped container (force: kill it first), then run poststop hooks.</summary>
public static class DeleteOperation
{
    public static void Delete(RuntimeContext ctx, string id, bool force, TextWriter? warnings = null) =>
        Delete(ctx, ctx.Store.Load(id), force, warnings);

    public static void Delete(RuntimeContext ctx, ContainerRecord r, bool force, TextWriter? warnings = null)
    {
        var id = r.Id;
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanDelete(force))
            throw ContainerStatusGuards.Refuse("delete", id, status);
        var cg = ctx.Cgroups(r.CgroupsPath);
        if (status != ContainerStatus.Stopped)
        {
            var init = new ProcessIdentity(r.InitPid, r.InitStartTime);
            Fds.Kill(r.InitPid, 9);
            if (status == ContainerStatus.Paused)
                cg.Thaw();
            WaitGone(init, TimeSpan.FromSeconds(10));
        }
        cg.Destroy(); // kills whatever is left in the cgroup (exec'd or escaped processes) first
        if (r.Config.Hooks is { } hooks)
        {
            // The spec: a failing poststop hook is a warning; the remaining hooks still run.
            Hooks.RunAll(hooks.Poststop, StateOperation.Document(r, ContainerStatus.Stopped), "poststop", warnings);
        }
        ctx.Store.Remove(id);
    }

    internal static void WaitGone(ProcessIdentity p, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (p.IsAlive)
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidStatusException($"process {p.Pid} did not exit after SIGKILL");
            Thread.Sleep(5);
        }
    }
}
