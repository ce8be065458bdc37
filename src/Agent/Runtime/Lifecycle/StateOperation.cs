using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>state: the status is derived from the kernel each time, never trusted from a file.</summary>
public static class StateOperation
{
    public static ContainerStatus StatusOf(RuntimeContext ctx, ContainerRecord r)
    {
        if (!new ProcessIdentity(r.InitPid, r.InitStartTime).IsAlive)
            return ContainerStatus.Stopped;
        if (!r.Started && File.Exists(ctx.Store.FifoOf(r.Id)))
            return ContainerStatus.Created;
        try
        {
            if (ctx.Cgroups(r.CgroupsPath).GetFreezerState() == CgroupFreezerState.Frozen)
                return ContainerStatus.Paused;
        }
        catch (IOException)
        {
            // no freezer information: it runs
        }
        return ContainerStatus.Running;
    }

    public static ContainerStateDocument Query(RuntimeContext ctx, string id)
    {
        var r = ctx.Store.Load(id);
        return Document(r, StatusOf(ctx, r));
    }

    public static ContainerStateDocument Document(ContainerRecord r, ContainerStatus status) => new()
    {
        OciVersion = r.Config.OciVersion,
        Id = r.Id,
        Status = status.ToSpecString(),
        Pid = status == ContainerStatus.Stopped ? 0 : r.InitPid,
        Bundle = r.Bundle,
        Annotations = r.Config.Annotations,
    };
}
