using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// docker exec: each instance runs under its own ccshim in exec mode, which records the exit
/// code even while the agent is away; records persist in the container's exec/ directory.
/// </summary>
public sealed class ExecEngine(ContainerEngine containers, ContainerStore store, RuntimeClient runtime, AttachHub attach, EventBus events, ILogger<ExecEngine> log)
{
    private static readonly JsonSerializerOptions Json = new();
    private readonly ConcurrentDictionary<string, ExecModel> _execs = new();

    /// <summary>Loads the exec records of every container (after the containers are restored).</summary>
    public void Restore()
    {
        foreach (var c in containers.All)
        {
            var dir = Path.Combine(store.Dir(c.Id), "exec");
            if (!Directory.Exists(dir))
                continue;
            foreach (var file in Directory.EnumerateDirectories(dir).Select(d => Path.Combine(d, "exec.json")).Where(File.Exists))
            {
                try
                {
                    if (JsonSerializer.Deserialize<ExecModel>(File.ReadAllBytes(file), Json) is { } e)
                    {
                        e.StartFinished.TrySetResult(); // whatever start there was ended with the old agent
                        _execs[e.Id] = e;
                    }
                }
                catch (JsonException ex)
                {
                    log.LogWarning("skipping unreadable exec record {File}: {Message}", file, ex.Message);
                }
            }
        }
    }

    public ExecModel Create(string containerIdOrName, ExecConfig config)
    {
        var c = containers.Get(containerIdOrName);
        RequireRunning(c);
        if (config.Cmd is null or [])
            throw EngineException.BadRequest("No exec command specified");
        DetachKeys.Parse(config.DetachKeys);
        var e = new ExecModel { Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), ContainerId = c.Id, Config = config };
        Directory.CreateDirectory(store.ExecDir(c.Id, e.Id));
        Save(e);
        _execs[e.Id] = e;
        events.Container(c, "exec_create: " + string.Join(' ', config.Cmd), ("execID", e.Id));
        return e;
    }

    public ExecModel Get(string id)
    {
        if (!_execs.TryGetValue(id, out var e))
            throw new EngineException(404, $"No such exec instance: {id}");
        if (!containers.Exists(e.ContainerId))
        {
            _execs.TryRemove(id, out _); // its container was removed
            throw new EngineException(404, $"No such exec instance: {id}");
        }
        Refresh(e);
        return e;
    }

    /// <summary>Starts the process detached. One the runtime cannot start gets docker's exit code (126, 127 when not found).</summary>
    public void Start(ExecModel e, List<uint>? consoleSize) => Start(e, attach: false, consoleSize);

    /// <summary>Starts the process with a connection to its monitor made before it ran, so none of its output is missed.</summary>
    public ShimConnection StartAttached(ExecModel e, List<uint>? consoleSize) =>
        Start(e, attach: true, consoleSize) ?? throw new EngineException(500, "the exec's monitor took no attach connection");

    private ShimConnection? Start(ExecModel e, bool attach, List<uint>? consoleSize)
    {
        lock (e)
        {
            if (e.Running)
                throw EngineException.Conflict($"Error: Exec command {e.Id} is already running");
            if (e.Started)
                throw EngineException.Conflict($"Error: Exec command {e.Id} has already run");
            e.Started = true;
        }
        try
        {
            return StartMonitored(e, attach, consoleSize);
        }
        finally
        {
            e.StartFinished.TrySetResult();
        }
    }

    private ShimConnection? StartMonitored(ExecModel e, bool attach, List<uint>? consoleSize)
    {
        var c = containers.Get(e.ContainerId);
        RequireRunning(c);
        if (consoleSize is not null)
            e.Config.ConsoleSize = consoleSize;
        var spec = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(store.Bundle(c.Id), "config.json")), RuntimeSpecJson.Default.RuntimeSpec)
                   ?? throw new EngineException(500, $"container {c.Id} has no runtime spec");
        var process = ExecProcess.Build(spec.Process ?? new Process(), e.Config, user => SpecBuilder.ParseUser(user, c.Rootfs.Split(':')));
        var processFile = Path.Combine(store.ExecDir(c.Id, e.Id), "process.json");
        AtomicFile.Write(processFile, JsonSerializer.SerializeToUtf8Bytes(process, RuntimeSpecJson.Default.Process));
        try
        {
            var (shim, started, connection) = runtime.ExecUnderMonitor(c, e, processFile, attach);
            (e.Running, e.Pid, e.ShimPid, e.ShimStartTime) = (true, started.Pid, shim.Pid, shim.StartTime);
            Save(e);
            runtime.WatchMonitor(shim);
            events.Container(c, "exec_start: " + string.Join(' ', e.Config.Cmd ?? []), ("execID", e.Id));
            return connection;
        }
        catch (EngineException ex)
        {
            e.ExitCode = ExecProcess.FailureExitCode(ex.Message);
            Save(e);
            throw new EngineException(ex.Status == 400 ? 500 : ex.Status, $"OCI runtime exec failed: exec failed: unable to start container process: {ex.Message}: unknown"); // dockerd's wording
        }
    }

    public async Task ResizeAsync(ExecModel e, int height, int width, CancellationToken ct)
    {
        if (e.Started)
            await e.StartFinished.Task.WaitAsync(ct); // the CLI resizes as soon as its stream is hijacked, before the start is done
        if (!e.Running)
            return; // not started, or ended: nothing to resize (the CLI races short processes)
        try
        {
            await attach.ResizeAsync(e.Id, height, width, ct);
        }
        catch (EngineException) when (!Refreshed(e).Running)
        {
        }
    }

    private ExecModel Refreshed(ExecModel e)
    {
        Refresh(e);
        return e;
    }

    /// <summary>A running exec ends with its monitor's exit record (or, with the monitor gone without one, as unknown).</summary>
    private void Refresh(ExecModel e)
    {
        if (!e.Running)
            return;
        var exitFile = store.ExecExitFile(e.ContainerId, e.Id);
        var exit = store.ReadExitFile(exitFile);
        if (exit is null && !new ProcessIdentity(e.ShimPid, e.ShimStartTime).IsAlive)
            exit = store.ReadExitFile(exitFile) ?? new ExitRecord { ExitCode = 255 }; // read again: it may have just finished
        if (exit is null)
            return;
        lock (e)
        {
            if (!e.Running)
                return; // another caller recorded it first: one exec_die per exec
            (e.Running, e.ExitCode, e.Pid) = (false, exit.ExitCode, 0);
        }
        Save(e);
        if (containers.Exists(e.ContainerId))
            events.Container(containers.Get(e.ContainerId), "exec_die",
                ("execID", e.Id), ("exitCode", exit.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The ids of the container's execs still running (inspect's ExecIDs).</summary>
    public IReadOnlyList<string> RunningIn(string containerId) =>
        _execs.Values.Where(e => e.ContainerId == containerId && e.Running).Select(e => e.Id).ToList();

    /// <summary>Called by the exit watcher: records the exits of running execs (so exec_die goes out without anyone asking).</summary>
    public void ReapExited()
    {
        foreach (var e in _execs.Values.Where(e => e.Running))
            Refresh(e);
    }

    private static void RequireRunning(ContainerModel c)
    {
        if (c.State.Status == "paused")
            throw EngineException.Conflict($"Container {c.Id} is paused, unpause the container before exec");
        if (c.State.Status != "running")
            throw EngineException.Conflict($"Container {c.Id} is not running");
    }

    private void Save(ExecModel e)
    {
        var dir = store.ExecDir(e.ContainerId, e.Id);
        if (Directory.Exists(dir))
            AtomicFile.Write(Path.Combine(dir, "exec.json"), JsonSerializer.SerializeToUtf8Bytes(e, Json));
    }
}
