namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>The runtime-spec lifecycle, plus Paused (a frozen cgroup).</summary>
public enum ContainerStatus
{
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

/// <summary>Which operation each status allows. The whole matrix is unit-tested.</summary>
public static class ContainerStatusGuards
{
    public static bool CanStart(this ContainerStatus s) => s == ContainerStatus.Created;
    public static bool CanKill(this ContainerStatus s) => s is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused;
    public static bool CanPause(this ContainerStatus s) => s == ContainerStatus.Running;
    public static bool CanResume(this ContainerStatus s) => s == ContainerStatus.Paused;
    public static bool CanExec(this ContainerStatus s) => s == ContainerStatus.Running;
    public static bool CanUpdate(this ContainerStatus s) => s is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused;
    /// <summary>Without --force only a stopped container (or one that never started) may be deleted.</summary>
    public static bool CanDelete(this ContainerStatus s, bool force) =>
        force || s is ContainerStatus.Stopped or ContainerStatus.Created;

    public static string ToSpecString(this ContainerStatus s) => s switch
    {
        ContainerStatus.Creating => "creating",
        ContainerStatus.Created => "created",
        ContainerStatus.Running => "running",
        ContainerStatus.Paused => "paused",
        _ => "stopped",
    };

    public static InvalidStatusException Refuse(string op, string id, ContainerStatus s) =>
        new($"cannot {op} container {id}: it is {s.ToSpecString()}");
}
