namespace ContainerConsole.Runtime.Cgroups;

public enum CgroupFreezerState
{
    /// <summary>No freezer available (v1 freezer hierarchy not mounted, or v2 kernel older than 5.2 without cgroup.freeze).</summary>
    Undefined,
    Thawed,
    /// <summary>Freeze requested but some tasks are not frozen yet (v1 "FREEZING", v2 cgroup.freeze=1 with "frozen 0").</summary>
    Freezing,
    Frozen,
}
