using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>run: create and start in one go, wait for the container and clean up (runc run).</summary>
public static class RunOperation
{
    public static int Run(RuntimeContext ctx, CreateOptions o, bool detach, TextWriter? warnings = null, Action? onStarted = null)
    {
        if (detach)
        {
            CreateOperation.Create(ctx, o);
            StartOperation.Start(ctx, o.Id, warnings);
            return 0;
        }
        var launched = CreateOperation.Launch(ctx, o, foreground: true);
        int code;
        try
        {
            if (launched.Record.Config.Hooks is { } hooks)
            {
                // The spec: a failing poststart hook is a warning; the remaining hooks still run.
                Hooks.RunAll(hooks.Poststart, StateOperation.Document(launched.Record, ContainerStatus.Running), "poststart", warnings);
            }
            onStarted?.Invoke();
            code = ProcessSpawner.Wait(launched.HelperPid);
        }
        finally
        {
            Fds.Close(launched.ReportFd);
        }
        DeleteOperation.Delete(ctx, launched.Record, force: true, warnings);
        return code;
    }
}
