using System.Globalization;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>OnStarted runs once the process is running (e.g. to take the terminal from the console socket).</summary>
public sealed record ExecOptions(string Id, Process Process, bool Detach, string? PidFile = null, string? ConsoleSocket = null, Action? OnStarted = null);

/// <summary>
/// exec: a new process joins every namespace of the running container (setns in
/// ccinit, never on a managed thread), its cgroup, and gets the container's
/// seccomp filter and the capabilities its process spec names.
/// </summary>
public static class ExecOperation
{
    /// <summary>Returns the exit code of the process, or 0 once a detached process was started.</summary>
    public static int Exec(RuntimeContext ctx, ExecOptions o)
    {
        var r = ctx.Store.Load(o.Id);
        var status = StateOperation.StatusOf(ctx, r);
        if (!status.CanExec())
            throw ContainerStatusGuards.Refuse("exec into", o.Id, status);
        SpecValidator.ValidateProcess(o.Process, "process");
        var seccomp = r.Config.Linux?.Seccomp is { } profile ? SeccompCache.Get(profile, ctx.Store.SeccompCacheDir) : null;
        var namespaces = (r.Config.Linux?.Namespaces ?? []).Select(n => n.Type).Where(t => t != "user" || HasOwnUserNs(r.InitPid));
        var plan = InitPlanner.ForExec(o.Process, r.InitPid, namespaces, new PlanContext(
            r.Rootfs, null, seccomp?.Path, seccomp?.Filter.Flags ?? 0, seccomp?.ProgramOffset ?? 0, o.ConsoleSocket, [], CapabilitySet.LastCap,
            Wait: true, Detach: o.Detach, SeLinuxEnabled: ctx.SeLinuxEnabled));

        var tmpDir = Path.Combine(ctx.Store.DirOf(o.Id), "exec-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(tmpDir);
        var (helper, report) = CreateOperation.SpawnInit(ctx, tmpDir, plan);
        try
        {
            var pid = CreateOperation.ReadPid(report);
            ctx.Cgroups(r.CgroupsPath).AddProcess(pid);
            Fds.WriteAll(report, "go\n"u8);
            var line = Fds.ReadLine(report);
            if (line != "ready")
                throw new ContainerSetupException(line is not null && line.StartsWith("error ", StringComparison.Ordinal) ? line[6..] : "exec helper exited during setup");
            if (o.PidFile is not null)
                AtomicFile.WriteText(Path.GetFullPath(o.PidFile), pid.ToString(CultureInfo.InvariantCulture));
            o.OnStarted?.Invoke();
            var code = ProcessSpawner.Wait(helper);
            helper = 0;
            return o.Detach ? 0 : code;
        }
        finally
        {
            if (helper > 0)
            {
                Fds.Kill(helper, 9);
                ProcessSpawner.Wait(helper);
            }
            Fds.Close(report);
            Directory.Delete(tmpDir, recursive: true);
        }
    }

    private static bool HasOwnUserNs(int pid)
    {
        try
        {
            return File.ResolveLinkTarget($"/proc/{pid}/ns/user", false)?.FullName != File.ResolveLinkTarget("/proc/self/ns/user", false)?.FullName;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
