using System.Text.Json;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>Runs OCI hooks: each gets the container's state JSON on stdin and must finish within its timeout.</summary>
public static class Hooks
{
    public static void Run(IEnumerable<Hook> hooks, ContainerStateDocument state, string phase)
    {
        foreach (var hook in hooks)
            RunOne(hook, state, phase);
    }

    /// <summary>poststart/poststop: a failure is a warning and the remaining hooks still run (runtime-spec).</summary>
    public static void RunAll(IEnumerable<Hook> hooks, ContainerStateDocument state, string phase, TextWriter? warnings)
    {
        foreach (var hook in hooks)
        {
            try
            {
                RunOne(hook, state, phase);
            }
            catch (Exception e) when (e is ContainerSetupException or SyscallException)
            {
                warnings?.WriteLine($"warning: {e.Message}");
            }
        }
    }

    private static void RunOne(Hook hook, ContainerStateDocument state, string phase)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(state, RuntimeSpecJson.Default.ContainerStateDocument);
        var (r, w) = Fds.Pipe();
        int pid;
        try
        {
            var args = hook.Args.Count > 1 ? hook.Args.Skip(1).ToList() : [];
            pid = ProcessSpawner.Spawn(hook.Path, args, hook.Env, new Dictionary<int, int> { [0] = r });
        }
        finally
        {
            Fds.Close(r);
        }
        try
        {
            Fds.WriteAll(w, json);
        }
        catch (SyscallException)
        {
            // a hook that does not read its stdin is fine
        }
        Fds.Close(w);
        var deadline = hook.Timeout is { } t ? DateTime.UtcNow.AddSeconds(t) : DateTime.MaxValue;
        while (true)
        {
            if (ProcessSpawner.TryWait(pid) is { } code)
            {
                if (code != 0)
                    throw new ContainerSetupException($"{phase} hook {hook.Path} exited with status {code}");
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Fds.Kill(pid, 9);
                ProcessSpawner.Wait(pid);
                throw new ContainerSetupException($"{phase} hook {hook.Path} timed out after {hook.Timeout}s");
            }
            Thread.Sleep(5);
        }
    }
}
