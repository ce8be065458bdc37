using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>
/// One container's cgroup, the same surface for cgroup v1 (one directory per hierarchy) and
/// v2 (one directory in the unified tree). Not thread-safe; one manager per container operation.
/// </summary>
public interface ICgroupManager
{
    /// <summary>The normalized cgroupsPath, e.g. "/containerconsole/abc", relative to each hierarchy root.</summary>
    string Path { get; }

    /// <summary>Settings that were requested but could not be applied on this kernel (e.g. no blkio weight file).</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// The cgroup.procs files a process must be written into to join this cgroup: one per v1 hierarchy
    /// (key = the hierarchy's controllers, e.g. "memory", "cpu,cpuacct", "name=systemd"), or a single
    /// entry with key "unified" on v2. Order matters nowhere; a native helper writes its pid into each.
    /// </summary>
    IReadOnlyDictionary<string, string> ProcsFiles { get; }

    /// <summary>
    /// The file holding the OOM-kill counter, read by the native monitor after the container exits,
    /// or null when there is no memory controller. Both versions use "key value\n" lines and the
    /// counter is the line "oom_kill N" (decimal; absent on kernels before 4.13, meaning 0):
    /// v1 memory.oom_control ("oom_kill_disable 0\nunder_oom 0\noom_kill N\n"),
    /// v2 memory.events ("low 0\nhigh 0\nmax 0\noom 0\noom_kill N\noom_group_kill 0\n", hierarchical).
    /// The file disappears with the cgroup, so read it before <see cref="Destroy"/>.
    /// </summary>
    string? OomCounterFile { get; }

    /// <summary>Creates the cgroup directories (and parents) and prepares them so tasks can join.</summary>
    void Create();

    /// <summary>Writes the limits. Null parts are left untouched, so this also serves live updates.</summary>
    void Apply(LinuxResources? resources);

    /// <summary>Moves a process (all its threads) into the cgroup.</summary>
    void AddProcess(int pid);

    /// <summary>Freezes every task; returns once the kernel reports the cgroup frozen, throws on timeout.</summary>
    void Freeze();

    /// <summary>Thaws; returns once the kernel reports the cgroup thawed.</summary>
    void Thaw();

    CgroupFreezerState GetFreezerState();

    /// <summary>Pids in the cgroup and its descendants.</summary>
    IReadOnlyList<int> GetPids();

    /// <summary>The "oom_kill" counter of <see cref="OomCounterFile"/>; 0 when unavailable.</summary>
    ulong GetOomKillCount();

    CgroupStats GetStats();

    /// <summary>Signals every process in the cgroup (frozen while signalling so forks cannot escape).</summary>
    void KillAll(int signal);

    /// <summary>
    /// Removes the cgroup directories (child cgroups first). Remaining processes are SIGKILLed first;
    /// rmdir is retried on EBUSY for <see cref="CgroupOptions.RemoveTimeout"/>. Missing directories are fine.
    /// </summary>
    void Destroy();
}

/// <summary>Tunables and seams shared by both managers.</summary>
public sealed class CgroupOptions
{
    public TimeSpan FreezeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long rmdir is retried while the kernel still reports EBUSY (exiting tasks).</summary>
    public TimeSpan RemoveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Sends a signal to a pid; default kill(2), ignoring ESRCH. Tests replace it.</summary>
    public Action<int, int>? SignalProcess { get; init; }

    /// <summary>v2 only: installs the device eBPF program; default <see cref="BpfDeviceFilterLoader"/>.</summary>
    public IDeviceFilterLoader? DeviceFilterLoader { get; init; }
}
