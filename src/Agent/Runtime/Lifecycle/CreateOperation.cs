using System.Globalization;
using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>
/// TerminalFallback: for a foreground run of a terminal container without a console
/// socket, makes one (the caller then proxies the pty it receives), as runc does.
/// </summary>
public sealed record CreateOptions(string Id, string Bundle, string? PidFile = null, string? ConsoleSocket = null, Func<string>? TerminalFallback = null);

/// <summary>A launched init: for `run`, ccinit stays as its parent and HelperPid is waited on for the exit code.</summary>
public sealed record LaunchedContainer(ContainerRecord Record, int HelperPid, int ReportFd);

/// <summary>
/// create: validate everything, make the cgroup, then let ccinit build the
/// namespaces and root filesystem; init then waits on the exec fifo for `start`.
/// Any failure removes what was made: cgroup, state directory, processes.
/// </summary>
public static class CreateOperation
{
    public static ContainerRecord Create(RuntimeContext ctx, CreateOptions o)
    {
        var launched = Launch(ctx, o, foreground: false);
        return launched.Record;
    }

    /// <summary>foreground: no exec fifo; init runs at once with ccinit as its waiting parent (`run`).</summary>
    public static LaunchedContainer Launch(RuntimeContext ctx, CreateOptions o, bool foreground)
    {
        SpecValidator.ValidateId(o.Id);
        if (ctx.Store.Exists(o.Id))
            throw new InvalidStatusException($"container \"{o.Id}\" already exists");
        var bundle = Path.GetFullPath(o.Bundle);
        var spec = SpecValidator.Load(bundle, out var specJson);
        var rootfs = SpecValidator.Validate(spec, bundle);
        var consoleSocket = o.ConsoleSocket;
        if (spec.Process!.Terminal && consoleSocket is null)
        {
            // A terminal nobody receives would leave the process without stdio (runc refuses too).
            if (!foreground || o.TerminalFallback is null)
                throw new SpecValidationException("process.terminal: a detached container with a terminal needs --console-socket");
            consoleSocket = o.TerminalFallback();
        }
        var seccomp = spec.Linux?.Seccomp is { } profile ? SeccompCache.Get(profile, ctx.Store.SeccompCacheDir) : null;

        var dir = ctx.Store.DirOf(o.Id);
        Directory.CreateDirectory(ctx.Store.Root);
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        ICgroupManager? cgroup = null;
        int initPid = 0, helperPid = 0, report = -1;
        try
        {
            string? fifo = null;
            if (!foreground)
            {
                fifo = ctx.Store.FifoOf(o.Id);
                Fds.MkFifo(fifo, 0x180); // 0600: only root and the container's user may touch it
                // init writes the fifo after it became process.user without capabilities (a non-root user with every
                // capability dropped cannot open a root-owned fifo), and in a user namespace that user is a host id of its own.
                var (uid, gid) = (spec.Process?.User.Uid ?? 0, spec.Process?.User.Gid ?? 0);
                if (spec.Linux?.Namespaces.Any(n => n.Type == "user" && string.IsNullOrEmpty(n.Path)) == true)
                    (uid, gid) = (HostIdOf(uid, spec.Linux.UidMappings), HostIdOf(gid, spec.Linux.GidMappings));
                if (uid != 0 || gid != 0)
                    Fds.Chown(fifo, uid, gid);
            }
            var plan = InitPlanner.ForContainer(spec, new PlanContext(
                rootfs, fifo, seccomp?.Path, seccomp?.Filter.Flags ?? 0, seccomp?.ProgramOffset ?? 0, consoleSocket,
                RuntimeContext.HostCgroupHierarchies(), CapabilitySet.LastCap, Wait: foreground, SeLinuxEnabled: ctx.SeLinuxEnabled,
                ContainerId: o.Id, Bundle: bundle));

            (helperPid, report) = SpawnInit(ctx, dir, plan);
            // The cgroup is made while ccinit starts and clones; init waits for "go" before it runs anything.
            var cgroupsPath = string.IsNullOrEmpty(spec.Linux?.CgroupsPath) ? $"/containerconsole/{o.Id}" : spec.Linux!.CgroupsPath!;
            cgroup = ctx.Cgroups(cgroupsPath);
            cgroup.Create();
            cgroup.Apply(ImplicitDeviceRules.Apply(spec.Linux?.Resources, spec.Linux?.Devices ?? []));
            initPid = ReadPid(report);
            cgroup.AddProcess(initPid);
            var record = new ContainerRecord
            {
                Id = o.Id, Bundle = bundle, Rootfs = rootfs, InitPid = initPid, Created = DateTime.UtcNow,
                InitStartTime = ProcessIdentity.ReadStartTime(initPid) ?? 0, CgroupsPath = cgroupsPath, Config = spec, ConfigJson = specJson,
                Started = foreground,
            };
            var hooks = spec.Hooks;
            if (hooks is not null)
            {
                // Hooks may look the container up: its state must exist before they run.
                ctx.Store.Save(record);
                var doc = StateOperation.Document(record, ContainerStatus.Creating);
                Hooks.Run(hooks.CreateRuntime, doc, "createRuntime");
                Hooks.Run(hooks.Prestart, doc, "prestart");
                Fds.WriteAll(report, "go\n"u8);
            }
            else
            {
                // Nothing can see the container before create returns: save while init sets up.
                Fds.WriteAll(report, "go\n"u8);
                ctx.Store.Save(record);
            }
            var line = Fds.ReadLine(report);
            if (line != "ready")
                throw new ContainerSetupException(line is not null && line.StartsWith("error ", StringComparison.Ordinal)
                    ? line[6..]
                    : "container init exited during setup");
            if (!foreground)
            {
                ProcessSpawner.Wait(helperPid);
                helperPid = 0;
                Fds.Close(report);
                report = -1;
            }
            if (o.PidFile is not null)
                AtomicFile.WriteText(Path.GetFullPath(o.PidFile), initPid.ToString(CultureInfo.InvariantCulture));
            return new LaunchedContainer(record, helperPid, report);
        }
        catch
        {
            if (initPid > 0)
                Fds.Kill(initPid, 9);
            if (helperPid > 0)
            {
                Fds.Kill(helperPid, 9);
                ProcessSpawner.Wait(helperPid);
            }
            Fds.Close(report);
            if (cgroup is not null)
                TryDestroy(cgroup);
            ctx.Store.Remove(o.Id);
            throw;
        }
    }

    /// <summary>Starts ccinit with the plan on fd 3 and one end of the report socket on fd 4.</summary>
    internal static (int HelperPid, int ReportFd) SpawnInit(RuntimeContext ctx, string stateDir, InitPlan plan)
    {
        var planPath = Path.Combine(stateDir, "plan");
        File.WriteAllBytes(planPath, plan.Serialize());
        var (mine, theirs) = Fds.SocketPair();
        using var planFile = File.OpenHandle(planPath, FileMode.Open, FileAccess.Read);
        try
        {
            var pid = ProcessSpawner.Spawn(ctx.InitPath, [], [], new Dictionary<int, int>
            {
                [0] = 0, [1] = 1, [2] = 2, [3] = (int)planFile.DangerousGetHandle(), [4] = theirs,
            });
            return (pid, mine);
        }
        catch
        {
            Fds.Close(mine);
            throw;
        }
        finally
        {
            Fds.Close(theirs);
        }
    }

    private static uint HostIdOf(uint containerId, IEnumerable<IdMapping> maps) =>
        maps.FirstOrDefault(m => containerId >= m.ContainerID && containerId - m.ContainerID < m.Size) is { } m
            ? m.HostID + (containerId - m.ContainerID)
            : throw new SpecValidationException($"linux.uidMappings/gidMappings: container id {containerId} of process.user is not mapped");

    internal static int ReadPid(int report)
    {
        var line = Fds.ReadLine(report);
        if (line is not null && line.StartsWith("pid ", StringComparison.Ordinal))
            return int.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
        throw new ContainerSetupException(line is not null && line.StartsWith("error ", StringComparison.Ordinal)
            ? line[6..]
            : "container init helper exited before reporting a pid");
    }

    internal static void TryDestroy(ICgroupManager cgroup)
    {
        try
        {
            cgroup.Destroy();
        }
        catch (Exception)
        {
            // best effort during rollback; the original error is the one to report
        }
    }
}
