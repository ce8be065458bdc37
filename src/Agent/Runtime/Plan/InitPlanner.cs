using System.Globalization;
using ContainerConsole.Runtime.Rootfs;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;
using static ContainerConsole.Runtime.Plan.KernelConstants;

namespace ContainerConsole.Runtime.Plan;

/// <summary>A cgroup hierarchy to mount inside the container: "memory" → /sys/fs/cgroup/memory, type cgroup, options "memory".</summary>
public sealed record CgroupMountSource(string Name, string FsType, string Options);

/// <summary>Host facts and state paths the planner needs besides the spec.</summary>
public sealed record PlanContext(
    string RootfsHostPath,
    string? ExecFifo,
    string? SeccompFile,
    uint SeccompFlags,
    int SeccompProgramOffset,
    string? ConsoleSocket,
    IReadOnlyList<CgroupMountSource> CgroupHierarchies,
    int LastCap,
    bool Wait,
    bool Detach = false,
    bool SeLinuxEnabled = false,
    string? ContainerId = null,
    string? Bundle = null);

/// <summary>
/// Turns a validated spec into the ordered steps ccinit performs. Pure: all
/// kernel-facing decisions (flags, device numbers, mount order) are made here and
/// unit-tested; the C helper only carries them out.
/// </summary>
public static class InitPlanner
{
    /// <summary>Devices every container gets (runtime-spec "Default Devices").</summary>
    public static readonly IReadOnlyList<LinuxDevice> DefaultDevices =
    [
        new() { Path = "/dev/null", Type = "c", Major = 1, Minor = 3, FileMode = 0x1b6 },
        new() { Path = "/dev/zero", Type = "c", Major = 1, Minor = 5, FileMode = 0x1b6 },
        new() { Path = "/dev/full", Type = "c", Major = 1, Minor = 7, FileMode = 0x1b6 },
        new() { Path = "/dev/random", Type = "c", Major = 1, Minor = 8, FileMode = 0x1b6 },
        new() { Path = "/dev/urandom", Type = "c", Major = 1, Minor = 9, FileMode = 0x1b6 },
        new() { Path = "/dev/tty", Type = "c", Major = 5, Minor = 0, FileMode = 0x1b6 },
    ];

    public const string OverlayLowerAnnotation = "org.containerconsole.rootfs.lowerdir";
    public const string OverlayUpperAnnotation = "org.containerconsole.rootfs.upperdir";
    public const string OverlayWorkAnnotation = "org.containerconsole.rootfs.workdir";

    public static InitPlan ForContainer(RuntimeSpec spec, PlanContext ctx)
    {
        var linux = spec.Linux ?? new Linux();
        var process = spec.Process ?? throw new SpecValidationException("process: missing");
        var plan = new InitPlan();
        var newNs = linux.Namespaces.Where(n => string.IsNullOrEmpty(n.Path)).Select(n => n.Type).ToHashSet();

        ulong cloneFlags = 0;
        foreach (var t in newNs.Where(t => t != "cgroup"))
            cloneFlags |= NamespaceFlags[t];
        plan.Add("clone", Num(cloneFlags));
        AddJoins(plan, linux.Namespaces.Where(n => !string.IsNullOrEmpty(n.Path)).Select(n => (n.Type, n.Path!)));
        if (newNs.Contains("user"))
        {
            plan.Add("uidmap", Maps(linux.UidMappings));
            plan.Add("gidmap", Maps(linux.GidMappings));
        }
        // The cgroup namespace is unshared after the runtime moved init into its
        // cgroup, so the namespace root is the container's cgroup, not ours.
        if (newNs.Contains("cgroup"))
            plan.Add("cgroupns");

        plan.Add("rootfs", ctx.RootfsHostPath);
        if (spec.Annotations.TryGetValue(OverlayLowerAnnotation, out var lower))
            plan.Add("overlay", lower, spec.Annotations[OverlayUpperAnnotation], spec.Annotations[OverlayWorkAnnotation]);
        var rootProp = string.IsNullOrEmpty(linux.RootfsPropagation)
            ? MS_SLAVE | MS_REC
            : MountOptions.ParsePropagation(linux.RootfsPropagation, "linux.rootfsPropagation");
        // pivot_root refuses a shared parent mount: set up as a slave, and make "/"
        // shared afterwards if the spec asks (rootpropfinal below).
        plan.Add("rootprop", Num((rootProp & MS_SHARED) != 0 ? MS_SLAVE | MS_REC : rootProp | MS_REC));

        // mknod is refused in any user namespace but the initial one, joined or new.
        var userNs = linux.Namespaces.Any(n => n.Type == "user");
        // sVirt: the container's files on tmpfs-like mounts carry its MCS label.
        var mountLabel = ctx.SeLinuxEnabled && !string.IsNullOrEmpty(linux.MountLabel) ? linux.MountLabel : null;
        foreach (var m in spec.Mounts)
            AddMount(plan, m, ctx, newNs.Contains("cgroup"), mountLabel);
        AddDevices(plan, DefaultDevices.Concat(linux.Devices), userNs);
        plan.Add("symlink", "/proc/self/fd", "dev/fd");
        plan.Add("symlink", "/proc/self/fd/0", "dev/stdin");
        plan.Add("symlink", "/proc/self/fd/1", "dev/stdout");
        plan.Add("symlink", "/proc/self/fd/2", "dev/stderr");
        if (spec.Mounts.Any(m => m.Destination == "/dev/pts"))
            plan.Add("symlink", "pts/ptmx", "dev/ptmx");

        foreach (var (key, value) in linux.Sysctl)
            plan.Add("sysctl", "/proc/sys/" + key.Replace('.', '/'), value);
        foreach (var p in linux.MaskedPaths)
            plan.Add("mask", p);
        foreach (var p in linux.ReadonlyPaths)
            plan.Add("ro", p);
        if (spec.Root?.Readonly == true)
            plan.Add("rootro");
        if (!string.IsNullOrEmpty(linux.RootfsPropagation))
            plan.Add("rootpropfinal", Num(rootProp));

        if (newNs.Contains("uts") && !string.IsNullOrEmpty(spec.Hostname))
            plan.Add("hostname", spec.Hostname);
        if (newNs.Contains("uts") && !string.IsNullOrEmpty(spec.Domainname))
            plan.Add("domainname", spec.Domainname);
        if (newNs.Contains("network"))
            plan.Add("loup");

        AddInContainerHooks(plan, spec, ctx);
        AddProcess(plan, process, ctx);
        if (ctx.ExecFifo is not null)
            plan.Add("fifo", ctx.ExecFifo);
        if (ctx.Wait)
            plan.Add("wait");
        return plan;
    }

    /// <summary>A process joining a running container: setns into each of its namespaces, then the same process setup.</summary>
    public static InitPlan ForExec(Process process, int containerPid, IEnumerable<string> namespaceTypes, PlanContext ctx)
    {
        var plan = new InitPlan();
        plan.Add("clone", "0");
        AddJoins(plan, namespaceTypes.Select(t => (t, $"/proc/{containerPid}/ns/{NamespaceFiles[t]}")));
        AddProcess(plan, process, ctx);
        if (ctx.Wait)
            plan.Add("wait");
        if (ctx.Detach)
            plan.Add("detach");
        return plan;
    }

    /// <summary>
    /// createContainer and startContainer hooks run inside the container, so ccinit
    /// starts them; it fills in status and pid (known only after clone) between the
    /// two halves of the state document rendered here.
    /// </summary>
    private static void AddInContainerHooks(InitPlan plan, RuntimeSpec spec, PlanContext ctx)
    {
        var hooks = spec.Hooks;
        if (hooks is null || (hooks.CreateContainer.Count == 0 && hooks.StartContainer.Count == 0))
            return;
        var (prefix, suffix) = StateTemplate(spec, ctx);
        plan.Add("hookstate", prefix, suffix);
        foreach (var (phase, list) in new[] { ("createContainer", hooks.CreateContainer), ("startContainer", hooks.StartContainer) })
        {
            foreach (var h in list)
            {
                plan.Add("hook", phase, h.Path, (h.Timeout ?? 0).ToString(CultureInfo.InvariantCulture));
                foreach (var a in h.Args)
                    plan.Add("hookarg", a);
                foreach (var e in h.Env)
                    plan.Add("hookenv", e);
            }
        }
    }

    private static (string Prefix, string Suffix) StateTemplate(RuntimeSpec spec, PlanContext ctx)
    {
        static string Render(Action<System.Text.Json.Utf8JsonWriter> write)
        {
            using var ms = new MemoryStream();
            using (var w = new System.Text.Json.Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                write(w);
                w.WriteEndObject();
            }
            return System.Text.Encoding.UTF8.GetString(ms.ToArray());
        }
        var head = Render(w =>
        {
            w.WriteString("ociVersion", spec.OciVersion);
            w.WriteString("id", ctx.ContainerId ?? "");
        });
        var tail = Render(w =>
        {
            w.WriteString("bundle", ctx.Bundle ?? "");
            w.WriteStartObject("annotations");
            foreach (var (k, v) in spec.Annotations)
                w.WriteString(k, v);
            w.WriteEndObject();
        });
        // {"ociVersion":..,"id":..,  + "status":..,"pid":N +  ,"bundle":..,"annotations":{..}}
        return (head[..^1] + ",", "," + tail[1..]);
    }

    private static void AddJoins(InitPlan plan, IEnumerable<(string Type, string Path)> joins)
    {
        // user first: joining it grants the capabilities needed to join the rest;
        // mount last: after it, the remaining paths would resolve in the container's filesystem.
        foreach (var (type, path) in joins.OrderBy(j => j.Type == "user" ? 0 : j.Type == "mount" ? 2 : 1))
            plan.Add("setns", Num(NamespaceFlags[type]), path);
    }

    private static void AddProcess(InitPlan plan, Process process, PlanContext ctx)
    {
        if (ctx.ConsoleSocket is not null)
        {
            plan.Add("consolesock", ctx.ConsoleSocket);
            if (process.ConsoleSize is { } size)
                plan.Add("consolesize", size.Height.ToString(CultureInfo.InvariantCulture), size.Width.ToString(CultureInfo.InvariantCulture));
        }
        if (process.OomScoreAdj is { } oom)
            plan.Add("oom", oom.ToString(CultureInfo.InvariantCulture));
        foreach (var r in process.Rlimits)
            plan.Add("rlimit", KernelConstants.Rlimits[r.Type].ToString(CultureInfo.InvariantCulture), Num(r.Soft), Num(r.Hard));
        if (process.NoNewPrivileges)
            plan.Add("nnp");
        if (ctx.SeccompFile is not null)
            plan.Add("seccomp", Num(ctx.SeccompFlags), ctx.SeccompFile, ctx.SeccompProgramOffset.ToString(CultureInfo.InvariantCulture));
        // Written to /proc/thread-self/attr/exec just before execve; ignored when SELinux is off, as runc does.
        if (ctx.SeLinuxEnabled && !string.IsNullOrEmpty(process.SelinuxLabel))
            plan.Add("selinux", process.SelinuxLabel);
        plan.Add("user", Num(process.User.Uid), Num(process.User.Gid), string.Join(',', process.User.AdditionalGids));
        if (process.Capabilities is { } caps)
        {
            plan.Add("caps",
                Num(CapabilitySet.ToMask(caps.Bounding, "process.capabilities.bounding")),
                Num(CapabilitySet.ToMask(caps.Effective, "process.capabilities.effective")),
                Num(CapabilitySet.ToMask(caps.Permitted, "process.capabilities.permitted")),
                Num(CapabilitySet.ToMask(caps.Inheritable, "process.capabilities.inheritable")),
                Num(CapabilitySet.ToMask(caps.Ambient, "process.capabilities.ambient")),
                ctx.LastCap.ToString(CultureInfo.InvariantCulture));
        }
        if (process.User.Umask is { } umask)
            plan.Add("umask", Num(umask));
        plan.Add("cwd", process.Cwd);
        foreach (var e in process.Env)
            plan.Add("env", e);
        foreach (var a in process.Args)
            plan.Add("arg", a);
    }

    private static readonly HashSet<string> LabelledFilesystems = ["tmpfs", "devpts", "mqueue"];

    private static void AddMount(InitPlan plan, Mount m, PlanContext ctx, bool cgroupNs, string? mountLabel)
    {
        var opts = MountOptions.Parse(m.Options);
        if (mountLabel is not null && LabelledFilesystems.Contains(m.Type ?? ""))
            opts = opts with { Data = string.Join(',', new[] { opts.Data, $"context=\"{mountLabel}\"" }.Where(d => d.Length > 0)) };
        var dest = m.Destination.TrimStart('/');
        var type = m.Type ?? (opts.IsBind ? "bind" : "");
        if (type == "cgroup" || type == "cgroup2")
        {
            AddCgroupMounts(plan, dest, opts, ctx, cgroupNs);
            return;
        }
        var flags = opts.Flags;
        var kind = "dir";
        if (opts.IsBind || type == "bind")
        {
            flags |= MS_BIND;
            kind = File.Exists(m.Source) ? "file" : "dir";
        }
        plan.Add("mount", m.Source ?? type, dest, type == "bind" ? "" : type, Num(flags), opts.Data, Num(opts.Propagation), kind);
    }

    // A cgroup namespace makes each hierarchy's root the container's own cgroup,
    // so mounting the hierarchies shows the container nothing of the host's tree.
    // Without one, the mount is left out rather than exposing the host's tree.
    private static void AddCgroupMounts(InitPlan plan, string dest, MountOptions opts, PlanContext ctx, bool cgroupNs)
    {
        if (!cgroupNs)
            return;
        var baseFlags = (opts.Flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        var single = ctx.CgroupHierarchies.Count == 1 && ctx.CgroupHierarchies[0].FsType == "cgroup2";
        if (single)
        {
            plan.Add("mount", "cgroup2", dest, "cgroup2", Num(baseFlags | (opts.Flags & MS_RDONLY)), "", "0", "dir");
            return;
        }
        plan.Add("mount", "tmpfs", dest, "tmpfs", Num(baseFlags), "mode=755", "0", "dir");
        foreach (var h in ctx.CgroupHierarchies)
            plan.Add("mount", h.FsType, $"{dest}/{h.Name}", h.FsType, Num(baseFlags | (opts.Flags & MS_RDONLY)), h.Options, "0", "dir");
        // The tmpfs holding the mount points had to be writable to create them; now seal it too.
        if ((opts.Flags & MS_RDONLY) != 0)
            plan.Add("mount", "tmpfs", dest, "tmpfs", Num(baseFlags | MS_REMOUNT | MS_RDONLY), "mode=755", "0", "dir");
    }

    private static void AddDevices(InitPlan plan, IEnumerable<LinuxDevice> devices, bool userNs)
    {
        // later entries (the spec's own) override defaults with the same path
        foreach (var d in devices.GroupBy(d => d.Path).Select(g => g.Last()))
        {
            var rel = d.Path.TrimStart('/');
            if (userNs)
            {
                // mknod is not allowed in a user namespace: bind the host's node instead.
                plan.Add("mount", d.Path, rel, "", Num(MS_BIND), "", "0", "file");
                continue;
            }
            plan.Add("mknod", rel, d.Type, d.Major.ToString(CultureInfo.InvariantCulture), d.Minor.ToString(CultureInfo.InvariantCulture),
                Num(d.FileMode ?? 0x1b6), Num(d.Uid ?? 0), Num(d.Gid ?? 0));
        }
    }

    private static string Maps(IEnumerable<IdMapping> maps) =>
        string.Concat(maps.Select(m => $"{m.ContainerID} {m.HostID} {m.Size}\n"));

    private static string Num(ulong v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Num(uint v) => v.ToString(CultureInfo.InvariantCulture);
}
