using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Lifecycle;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Talks to the configured OCI runtime as a command (ccrun by default, runc by
/// configuration: rule 3) and starts each container under its own ccshim monitor; the built-in runtime's verbs that
/// start no process run in the agent itself.
/// </summary>
public sealed class RuntimeClient(AgentOptions options, ContainerStore store, MonitorExits exits, ILogger<RuntimeClient> log)
{
    /// <summary>Starts ccshim, which runs `runtime create`; returns the monitor and init identities once created.</summary>
    public (ProcessIdentity Shim, ProcessIdentity Init) CreateUnderMonitor(ContainerModel c, string? oomCounterFile)
    {
        var id = c.Id;
        var rotation = LogRotation.For(c.HostConfig.LogConfig, options);
        File.Delete(store.ExitFile(id));
        File.Delete(store.RuntimeLog(id));
        var args = new List<string>
        {
            "--runtime", options.RuntimePath(c.HostConfig.Runtime), "--root", options.RuntimeRoot, "--bundle", store.Bundle(id),
            "--id", id, "--pid-file", store.PidFile(id), "--exit-file", store.ExitFile(id), "--log", store.Log(id),
            "--log-max-size", rotation.MaxSize.ToString(CultureInfo.InvariantCulture),
            "--log-max-files", rotation.MaxFiles.ToString(CultureInfo.InvariantCulture),
            "--runtime-log", store.RuntimeLog(id), "--attach-socket", options.AttachSocket(id),
        };
        if (c.Config.OpenStdin)
            args.AddRange(["--open-stdin", "1"]);
        if (c.Config.Tty)
            args.AddRange(["--console-socket", options.ConsoleSocket(id)]);
        if (oomCounterFile is not null)
            args.AddRange(["--oom-file", oomCounterFile]);
        return SpawnMonitor(args, onListening: null);
    }

    /// <summary>
    /// Starts ccshim in exec mode (`runtime exec --detach` under the monitor, so the exit code is
    /// recorded even without the agent). With attach, the returned connection was made before the
    /// process started, so it misses none of its output.
    /// </summary>
    public (ProcessIdentity Shim, ProcessIdentity Process, ShimConnection? Attach) ExecUnderMonitor(ContainerModel c, ExecModel e, string processFile, bool attach)
    {
        var dir = store.ExecDir(c.Id, e.Id);
        var args = new List<string>
        {
            "--runtime", options.RuntimePath(c.HostConfig.Runtime), "--root", options.RuntimeRoot, "--exec-process", processFile,
            "--id", c.Id, "--pid-file", Path.Combine(dir, "pid"), "--exit-file", store.ExecExitFile(c.Id, e.Id),
            "--runtime-log", Path.Combine(dir, "runtime.log"), "--attach-socket", options.AttachSocket(e.Id),
        };
        if (e.Config.AttachStdin)
            args.AddRange(["--open-stdin", "1"]);
        if (e.Config.Tty)
            args.AddRange(["--console-socket", options.ConsoleSocket(e.Id)]);
        if (attach)
            args.AddRange(["--wait-attach", "1"]);
        ShimConnection? connection = null;
        try
        {
            var (shim, process) = SpawnMonitor(args, attach ? () => connection = ShimConnection.Connect(options.AttachSocket(e.Id)) : null);
            return (shim, process, connection);
        }
        catch
        {
            connection?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Has the monitor's exit noticed at once. Called once the container or exec is recorded as running (or adopted at
    /// agent start), not when the monitor is spawned: `true` can exit before that, and the exit watcher only reaps
    /// what is recorded as running, so an exit signalled earlier would wait for its next scan (a second).
    /// </summary>
    public void WatchMonitor(ProcessIdentity shim) => exits.Watch(shim);

    /// <summary>Runs ccshim and follows its sync pipe: "shim N" (its sockets listen; onListening runs), then "pid N" or "error MSG".</summary>
    private (ProcessIdentity Shim, ProcessIdentity Process) SpawnMonitor(List<string> args, Action? onListening)
    {
        Directory.CreateDirectory(options.IoDir);
        var (syncRead, syncWrite) = Fds.Pipe();
        int first;
        using (var devnull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite))
        {
            var nullFd = (int)devnull.DangerousGetHandle();
            try
            {
                first = ProcessSpawner.Spawn(options.ShimPath, args, [], new Dictionary<int, int> { [0] = nullFd, [1] = nullFd, [2] = nullFd, [3] = syncWrite });
            }
            finally
            {
                Fds.Close(syncWrite);
            }
        }
        try
        {
            ProcessSpawner.Wait(first); // the shim double-forks; this is the short-lived first child
            ProcessIdentity? shim = null;
            while (Fds.ReadLine(syncRead) is { } line)
            {
                if (line.StartsWith("shim ", StringComparison.Ordinal))
                {
                    shim = ProcessIdentity.Of(int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
                    onListening?.Invoke();
                }
                else if (line.StartsWith("pid ", StringComparison.Ordinal))
                {
                    var pid = int.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
                    // an exec'd process may be done already (and reaped by the monitor): its pid is all there is
                    var process = ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
                    return (shim ?? throw new EngineException(500, "monitor did not report itself"), process);
                }
                else if (line.StartsWith("error ", StringComparison.Ordinal))
                    throw new EngineException(400, CleanRuntimeError(line[6..]));
            }
            throw new EngineException(500, "container monitor exited without reporting");
        }
        finally
        {
            Fds.Close(syncRead);
        }
    }

    // ccrun prefixes its messages; the API user wants the reason itself.
    internal static string CleanRuntimeError(string message)
    {
        var parts = message.Split("ccrun: ", StringSplitOptions.RemoveEmptyEntries);
        var last = parts.Length > 0 ? parts[^1].Trim() : message;
        if (last.StartsWith("time=", StringComparison.Ordinal) && last.Contains("msg=", StringComparison.Ordinal))
            last = Unquote(last[(last.IndexOf("msg=", StringComparison.Ordinal) + 4)..].Trim());
        return last;
    }

    // The log's msg is a quoted string with JSON (ccrun) or Go (runc) escapes; both decode as JSON.
    private static string Unquote(string value)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<string>(value) ?? "";
        }
        catch (System.Text.Json.JsonException)
        {
            return value.Trim('"');
        }
    }

    public Task StartAsync(ContainerModel c, CancellationToken ct) =>
        Builtin(c) ? InProcessAsync(c, "start", (ctx, warnings) => StartOperation.Start(ctx, c.Id, warnings)) : RunAsync(c, ct, "start", c.Id);

    public Task KillAsync(ContainerModel c, int signal, bool all, CancellationToken ct) =>
        Builtin(c) ? InProcessAsync(c, "kill", (ctx, _) => KillOperation.Kill(ctx, c.Id, signal, all))
        : all ? RunAsync(c, ct, "kill", "--all", c.Id, signal.ToString(CultureInfo.InvariantCulture))
        : RunAsync(c, ct, "kill", c.Id, signal.ToString(CultureInfo.InvariantCulture));

    public Task PauseAsync(ContainerModel c, CancellationToken ct) =>
        Builtin(c) ? InProcessAsync(c, "pause", (ctx, _) => PauseOperation.Pause(ctx, c.Id)) : RunAsync(c, ct, "pause", c.Id);

    public Task ResumeAsync(ContainerModel c, CancellationToken ct) =>
        Builtin(c) ? InProcessAsync(c, "resume", (ctx, _) => PauseOperation.Resume(ctx, c.Id)) : RunAsync(c, ct, "resume", c.Id);

    public Task DeleteAsync(ContainerModel c, CancellationToken ct) =>
        Builtin(c)
            ? InProcessAsync(c, "delete", (ctx, warnings) =>
            {
                if (ctx.Store.Exists(c.Id)) // as runc: delete --force of a missing container succeeds
                    DeleteOperation.Delete(ctx, c.Id, force: true, warnings);
            })
            : RunAsync(c, ct, "delete", "--force", c.Id);

    private bool Builtin(ContainerModel c) => options.IsBuiltinRuntime(c.HostConfig.Runtime);

    /// <summary>
    /// The built-in runtime's verbs that start no container process (start, kill, pause, resume, delete) run in the agent
    /// through the runtime library rather than as a ccrun process each: no fork, exec and runtime start-up per call, which
    /// was a sizeable share of `docker run --rm`. create and exec still go through ccrun under the monitor, which must be
    /// the container's parent. Errors map as ccrun's exit messages did.
    /// </summary>
    private async Task InProcessAsync(ContainerModel c, string verb, Action<RuntimeContext, TextWriter> operation)
    {
        var warnings = new StringWriter();
        try
        {
            await Task.Run(() => operation(BuiltinContext, warnings));
        }
        catch (Exception e) when (e is InvalidStatusException or ContainerNotFoundException or ContainerSetupException or SyscallException
                                      or ArgumentException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException
                                      or ContainerConsole.Runtime.Cgroups.CgroupException)
        {
            log.LogWarning("runtime {Verb} {Id} failed: {Message}", verb, c.Id, e.Message);
            throw new EngineException(e is InvalidStatusException ? 409 : 500, e.Message);
        }
        foreach (var line in warnings.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            log.LogWarning("runtime {Verb} {Id}: {Warning}", verb, c.Id, line);
    }

    private RuntimeContext BuiltinContext => _builtinContext ??= RuntimeContext.ForHost(options.RuntimeRoot, Path.Combine(options.HelperDir, "ccinit"));
    private RuntimeContext? _builtinContext;

    /// <summary>`update --resources FILE`: runc's form, which ccrun shares. Returns the warnings the runtime printed.</summary>
    public async Task<List<string>> UpdateAsync(ContainerModel c, ContainerConsole.Runtime.Spec.LinuxResources resources, CancellationToken ct)
    {
        var file = Path.Combine(store.Dir(c.Id), "update.json");
        await File.WriteAllBytesAsync(file, JsonSerializer.SerializeToUtf8Bytes(resources, ContainerConsole.Runtime.Spec.RuntimeSpecJson.Default.LinuxResources), ct);
        try
        {
            var stderr = await RunAsync(c, ct, "update", "--resources", file, c.Id);
            return stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(CleanRuntimeError).ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<string> RunAsync(ContainerModel c, CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo(options.RuntimePath(c.HostConfig.Runtime))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(options.RuntimeRoot);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new EngineException(500, "cannot start the runtime");
        var err = p.StandardError.ReadToEndAsync(ct);
        await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            var message = CleanRuntimeError((await err).Trim());
            log.LogWarning("runtime {Verb} {Id} failed: {Message}", args[0], c.Id, message);
            throw new EngineException(message.Contains("is stopped") || message.Contains("is paused") || message.Contains("is running") ? 409 : 500, message);
        }
        return await err;
    }
}
