using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Docker's --ipc, --pid, --uts, --userns and --cgroupns: the container's own namespace (the default), the host's, or
/// for ipc and pid another running container's. The network namespace is NetworkManager's.
/// </summary>
public static class NamespaceModes
{
    private const string ContainerPrefix = "container:";

    /// <summary>At create: the modes are known and a named container exists (it need only run at start).</summary>
    public static void Validate(HostConfig hc, string? hostname, Func<string, ContainerModel> find)
    {
        Check("--ipc", hc.IpcMode, ["", "private", "shareable", "host", "none"], allowContainer: true, find);
        Check("--pid", hc.PidMode, ["", "host"], allowContainer: true, find);
        Check("--uts", hc.UTSMode, ["", "host"], allowContainer: false, find);
        // no user namespace is the default here, as in dockerd without userns-remap: "host" is that default
        Check("--userns", hc.UsernsMode, ["", "host"], allowContainer: false, find);
        Check("--cgroupns", hc.CgroupnsMode, ["", "private", "host"], allowContainer: false, find);
        if (hc.UTSMode == "host" && !string.IsNullOrEmpty(hostname))
            throw EngineException.BadRequest("conflicting options: hostname and the UTS mode");
    }

    /// <summary>Shapes the spec's namespaces; at start (not at create) a joined container must be running.</summary>
    public static void Apply(RuntimeSpec spec, HostConfig hc, Func<string, ContainerModel> find, bool starting)
    {
        var linux = spec.Linux!;
        switch (hc.IpcMode ?? "")
        {
            case "host":
                Remove(linux, "ipc");
                ReplaceShm(spec, new Mount { Destination = "/dev/shm", Type = "bind", Source = "/dev/shm", Options = ["rbind", "rprivate"] });
                break;
            case "none":
                spec.Mounts.RemoveAll(m => m.Destination == "/dev/shm");
                break;
            case var mode when mode.StartsWith(ContainerPrefix, StringComparison.Ordinal) && starting:
                // SysV IPC and POSIX message queues are shared; /dev/shm stays the container's own: the donor's tmpfs lives
                // in its mount namespace, which a bind cannot reach (dockerd keeps shareable ones on the host for this)
                Join(linux, "ipc", RunningPid(find, mode, "IPC"));
                break;
        }
        var pidMode = hc.PidMode ?? "";
        if (pidMode == "host")
            Remove(linux, "pid");
        else if (pidMode.StartsWith(ContainerPrefix, StringComparison.Ordinal) && starting)
            Join(linux, "pid", RunningPid(find, pidMode, "PID"));
        if (hc.UTSMode == "host")
        {
            Remove(linux, "uts");
            spec.Hostname = null; // no UTS namespace of its own: nothing to name
        }
        if (hc.CgroupnsMode == "host")
            Remove(linux, "cgroup");
    }

    private static void Check(string flag, string? value, string[] known, bool allowContainer, Func<string, ContainerModel> find)
    {
        value ??= "";
        if (allowContainer && value.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            try
            {
                find(value[ContainerPrefix.Length..]);
            }
            catch (EngineException e) when (e.Status == 404)
            {
                // 400, not 404: the docker CLI takes a 404 from create for a missing image and tries to pull it
                throw EngineException.BadRequest(e.Message);
            }
            return;
        }
        if (!known.Contains(value))
            throw EngineException.BadRequest($"invalid {flag} mode: {value}");
    }

    private static int RunningPid(Func<string, ContainerModel> find, string mode, string what)
    {
        var target = find(mode[ContainerPrefix.Length..]);
        if (!target.State.IsActive || target.State.Pid <= 0)
            throw EngineException.Conflict($"cannot join {what} of a non running container: {target.Id}");
        return target.State.Pid;
    }

    private static void Remove(Linux linux, string type) => linux.Namespaces.RemoveAll(n => n.Type == type);

    private static void Join(Linux linux, string type, int pid)
    {
        Remove(linux, type);
        linux.Namespaces.Add(new LinuxNamespace { Type = type, Path = $"/proc/{pid}/ns/{type}" });
    }

    private static void ReplaceShm(RuntimeSpec spec, Mount shm)
    {
        var index = spec.Mounts.FindIndex(m => m.Destination == "/dev/shm");
        if (index >= 0)
            spec.Mounts[index] = shm;
        else
            spec.Mounts.Add(shm);
    }
}
