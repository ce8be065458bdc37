using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>start: open the exec fifo, which releases init into execve of the user's process.</summary>
public static class StartOperation
{
    public static void Start(RuntimeContext ctx, string id, TextWriter? warnings = null)
    {
        var r = ctx.Store.Load(id);
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanStart())
            throw ContainerStatusGuards.Refuse("start", id, status);
        var fifo = ctx.Store.FifoOf(id);
        ExecFifo.Release(fifo, new State.ProcessIdentity(r.InitPid, r.InitStartTime));
        File.Delete(fifo);
        r.Started = true;
        ctx.Store.Save(r);
        if (r.Config.Hooks is { } hooks)
        {
            // The spec: a failing poststart hook is a warning; the remaining hooks still run.
            Hooks.RunAll(hooks.Poststart, StateOperation.Document(r, ContainerStatus.Running), "poststart", warnings);
        }
    }
}
