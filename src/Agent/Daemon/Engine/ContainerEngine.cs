using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ContainerConsole.Images.Store;
using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Lifecycle;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The agent's containers: Docker's lifecycle on top of the OCI runtime and the
/// per-container monitors. State is kept in container.json (crash-safe) and
/// reconciled with the monitors' exit records, so the agent can die at any point.
/// </summary>
public sealed partial class ContainerEngine(AgentOptions options, ContainerStore store, RuntimeClient runtime, ImageStore images, SeLinuxLabeler labeler, McsAllocator mcs, AttachHub attach,
    EventBus events, RestartManager restarts, HealthMonitor health, NetworkManager network, Volumes.VolumeStore volumes, ILogger<ContainerEngine> log)
{
    private readonly ConcurrentDictionary<string, ContainerModel> _containers = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _exits = new();
    private readonly SemaphoreSlim _lock = new(1, 1); // names across containers: create and rename
    // Creating a container under its monitor blocks a thread on the monitor's sync pipe for tens of milliseconds: two
    // per core at once keep 50 concurrent starts from starving the thread pool or thrashing the cores.
    private readonly SemaphoreSlim _spawnGate = new(Math.Max(2, Environment.ProcessorCount * 2));

    [GeneratedRegex("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex NamePattern();

    public IEnumerable<ContainerModel> All => _containers.Values.OrderByDescending(c => c.Created);

    /// <summary>Loads every container and re-adopts the running ones (rule 2).</summary>
    public void Restore()
    {
        SweepOverlayViews();
        foreach (var c in store.LoadAll())
        {
            _containers[c.Id] = c;
            if (c.ProcessLabel.Length > 0 && SeLinuxLabel.TryParse(c.ProcessLabel, out var label))
                mcs.Reserve(label.Level); // pairs of existing containers stay theirs
            if (!c.State.IsActive)
                continue;
            if (store.ReadExit(c.Id) is not null)
            {
                log.LogInformation("container {Id} exited while the agent was away", c.Id);
                continue; // the exit watcher records it
            }
            var shim = new ProcessIdentity(c.State.ShimPid, c.State.ShimStartTime);
            if (shim.IsAlive)
            {
                runtime.WatchMonitor(shim);
                attach.Started(c.Id);
                ReadoptVolumes(c);
                health.Start(c, fresh: false);
                log.LogInformation("re-adopted running container {Id} (pid {Pid}, monitor {Shim})", c.Id, c.State.Pid, c.State.ShimPid);
                continue;
            }
            // The monitor is gone without an exit record (e.g. a reboot): the status is unknowable.
            c.State.Status = "exited";
            c.State.ExitCode = 255;
            c.State.Error = "container monitor disappeared";
            c.State.FinishedAt = DateTime.UtcNow;
            store.Save(c);
        }
        network.Restore(_containers.Values);
        volumes.UnmountUnused();
        RestartAfterAgentStart();
    }

    public ContainerModel Get(string idOrName)
    {
        var key = idOrName.TrimStart('/');
        if (_containers.TryGetValue(key, out var c))
            return c;
        var byName = _containers.Values.FirstOrDefault(x => x.Name == key);
        if (byName is not null)
            return byName;
        var byPrefix = _containers.Values.Where(x => x.Id.StartsWith(key, StringComparison.Ordinal)).ToList();
        return byPrefix.Count switch
        {
            1 => byPrefix[0],
            > 1 => throw EngineException.BadRequest($"multiple IDs found with provided prefix: {key}"),
            _ => throw EngineException.NoSuchContainer(idOrName),
        };
    }

    public async Task<ContainerModel> CreateAsync(CreateContainerRequest req, string? name, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(req.Image))
            throw EngineException.BadRequest("config: Image is required");
        ValidatePolicies(req);
        var (rootfs, imageId) = ResolveImage(req);
        var args = (req.Entrypoint ?? []).Concat(req.Cmd ?? []).ToList();
        if (args.Count == 0)
            throw EngineException.BadRequest("no command specified");
        await _lock.WaitAsync(ct);
        try
        {
            if (name is not null)
            {
                name = ValidateName(name);
                if (_containers.Values.Any(x => x.Name == name))
                    throw EngineException.Conflict($"Conflict. The container name \"/{name}\" is already in use");
            }
            var c = new ContainerModel
            {
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
                Created = DateTime.UtcNow,
                Rootfs = rootfs,
                ImageId = imageId,
                Config = req.ToConfig(),
                HostConfig = req.HostConfig ?? new HostConfig(),
                Args = args,
            };
            if ((c.HostConfig.MaskedPaths ?? []).Concat(c.HostConfig.ReadonlyPaths ?? []).FirstOrDefault(p => !p.StartsWith('/')) is { } relative)
                throw EngineException.BadRequest($"masked and read-only paths must be absolute: \"{relative}\"");
            if (!c.HostConfig.Privileged)
            {
                // Stored as dockerd stores them, so inspect reports what the container gets.
                c.HostConfig.MaskedPaths ??= [.. DefaultSpec.MaskedPaths];
                c.HostConfig.ReadonlyPaths ??= [.. DefaultSpec.ReadonlyPaths];
            }
            c.Name = name ?? NameGenerator.Generate(n => _containers.Values.Any(x => x.Name == n));
            ContainerLabels labels;
            try
            {
                // sVirt: a unique MCS pair per container when SELinux is on; options are checked either way.
                labels = labeler.Choose((c.HostConfig.SecurityOpt ?? []).Where(o => o.StartsWith("label", StringComparison.Ordinal)));
            }
            catch (ContainerConsole.Runtime.SpecValidationException e)
            {
                throw EngineException.BadRequest(e.Message);
            }
            (c.ProcessLabel, c.MountLabel) = (labels.ProcessLabel, labels.MountLabel);
            Directory.CreateDirectory(Path.Combine(store.Bundle(c.Id), "rootfs"));
            Directory.CreateDirectory(store.Upper(c.Id));
            Directory.CreateDirectory(store.Work(c.Id));
            var createdVolumes = new List<string>();
            try
            {
                c.HostConfig.Runtime ??= options.DefaultRuntime;
                if (!options.HasRuntime(c.HostConfig.Runtime))
                    throw EngineException.BadRequest($"unknown or invalid runtime name: {c.HostConfig.Runtime}");
                NamespaceModes.Validate(c.HostConfig, c.Config.Hostname, Get);
                network.ResolveAtCreate(c, req.NetworkingConfig, Get);
                c.MountPoints = ResolveMounts(req, imageId, c.MountLabel, createdVolumes);
                WriteSpec(c);
                store.Save(c);
            }
            catch
            {
                RemoveCreatedVolumes(createdVolumes);
                labeler.Release(labels);
                store.Remove(c.Id);
                throw;
            }
            _containers[c.Id] = c;
            events.Container(c, "create");
            return c;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The bundle's config.json from the container's settings (at create, and again after an update).</summary>
    /// <param name="starting">At start: namespaces of other containers are joined, so they must be running.</param>
    private void WriteSpec(ContainerModel c, bool starting = false, string? joinNetns = null)
    {
        var spec = SpecBuilder.Build(c, store.Upper(c.Id), store.Work(c.Id), options.IsBuiltinRuntime(c.HostConfig.Runtime));
        network.ApplyToSpec(c, spec, store.Dir(c.Id), joinNetns);
        NamespaceModes.Apply(spec, c.HostConfig, Get, starting);
        if (c.HostConfig.Init == true)
            InitProcess.Apply(spec, options.InitPath);
        AtomicFile.WriteDerived(Path.Combine(store.Bundle(c.Id), "config.json"), JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeSpecJson.Default.RuntimeSpec));
    }

    /// <summary>
    /// The overlay lower layers for the container and Docker's merge of the image config:
    /// image Env first, Entrypoint/Cmd/WorkingDir/User/StopSignal unless the request sets them.
    /// An absolute directory path is also accepted as a ready root filesystem.
    /// </summary>
    private (string Rootfs, string ImageId) ResolveImage(CreateContainerRequest req)
    {
        if (req.Image!.StartsWith('/') && Directory.Exists(req.Image))
            return (req.Image, "");
        var image = images.Inspect(req.Image);
        var ic = image.Config.Config;
        if (req.Entrypoint is [""])
            req.Entrypoint = []; // --entrypoint "": no entrypoint, and not the image's Cmd either
        if (ic is not null)
        {
            req.Env = [.. ic.Env ?? [], .. req.Env ?? []];
            if (req.Entrypoint is null)
            {
                req.Entrypoint = ic.Entrypoint?.ToList();
                req.Cmd ??= ic.Cmd?.ToList();
            }
            if (string.IsNullOrEmpty(req.WorkingDir))
                req.WorkingDir = ic.WorkingDir;
            if (string.IsNullOrEmpty(req.User))
                req.User = ic.User;
            req.StopSignal ??= ic.StopSignal;
            req.Healthcheck = HealthSettings.Merge(req.Healthcheck, ic.Healthcheck);
            req.ExposedPorts = MergeExposedPorts(req.ExposedPorts, ic.ExposedPorts?.Keys);
            if (ic.Labels is not null)
                req.Labels = new Dictionary<string, string>(ic.Labels.Concat((req.Labels ?? []).Where(l => !ic.Labels.ContainsKey(l.Key))));
        }
        var lower = images.LowerDirsFor(req.Image);
        if (lower.Count == 0)
            throw EngineException.BadRequest($"image {req.Image} has no layers");
        return (string.Join(':', lower), image.Id);
    }

    /// <summary>A user's start: the restart policy applies afresh (count, backoff and the user's stop are forgotten).</summary>
    public async Task StartAsync(string idOrName, CancellationToken ct)
    {
        var c = Get(idOrName);
        if (c.State.Status is "running" or "paused")
            return; // Docker answers 304: already started
        restarts.Reset(c.Id);
        await StartCoreAsync(c, restartCount: 0, ct);
    }

    /// <param name="byPolicy">A restart policy's start: skipped when the user stopped, started or removed the container
    /// meanwhile (<paramref name="ct"/> is canceled then); once begun it is not cut short.</param>
    private async Task StartCoreAsync(ContainerModel c, int restartCount, CancellationToken ct, bool byPolicy = false)
    {
        await c.Lock.WaitAsync(ct);
        try
        {
            if (c.State.IsActive)
                return; // two starts raced: the first one won
            if (byPolicy)
            {
                if (ct.IsCancellationRequested || restarts.IsStoppedByUser(c.Id) || !_containers.ContainsKey(c.Id))
                    return;
                ct = CancellationToken.None;
            }
            else if (!_containers.ContainsKey(c.Id))
                throw EngineException.NoSuchContainer(c.Id); // removed while this start waited
            var cgroup = new CgroupManagerFactory().Create($"/containerconsole/{c.Id}");
            var plan = network.Prepare(c, store.Dir(c.Id), ExposedPortKeys(c), Get); // addresses, ports, name files
            try
            {
                WriteSpec(c, starting: true, plan.JoinNetns);
            }
            catch
            {
                network.Release(c.Id);
                throw;
            }
            if (!options.IsBuiltinRuntime(c.HostConfig.Runtime))
                RootfsMount.Mount(c.Rootfs, store.Upper(c.Id), store.Work(c.Id), Path.Combine(store.Bundle(c.Id), "rootfs"));
            try
            {
                await AcquireVolumesAsync(c, ct);
                ProcessIdentity shim, init;
                await _spawnGate.WaitAsync(ct);
                try
                {
                    (shim, init) = runtime.CreateUnderMonitor(c, cgroup.OomCounterFile);
                }
                finally
                {
                    _spawnGate.Release();
                }
                attach.Started(c.Id); // created, not started: attached clients miss no output
                var startedAt = DateTime.UtcNow; // before start: a quick container may finish before start returns
                try
                {
                    network.Attach(c, plan, init.Pid); // its namespace exists now; its process has not run yet
                    await runtime.StartAsync(c, ct);
                }
                catch
                {
                    attach.Stopped(c.Id);
                    await runtime.DeleteAsync(c, CancellationToken.None);
                    throw;
                }
                c.State = new ContainerRunState
                {
                    Status = "running", Pid = init.Pid, PidStartTime = init.StartTime, ShimPid = shim.Pid, ShimStartTime = shim.StartTime,
                    StartedAt = startedAt, RestartCount = restartCount, Health = c.State.Health, // Error and ExitCode start afresh
                };
                c.ManuallyStopped = false;
            }
            catch (Exception e)
            {
                ReleaseAfterExit(c);
                RecordFailedStart(c, e);
                throw;
            }
            _exits[c.Id] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            store.Save(c);
            runtime.WatchMonitor(new ProcessIdentity(c.State.ShimPid, c.State.ShimStartTime));
            events.Container(c, "start");
            health.Start(c, fresh: true);
            NotifyChanged();
        }
        finally
        {
            c.Lock.Release();
        }
    }

    /// <summary>
    /// dockerd keeps a container whose process could not be started as Created, with the reason in State.Error and
    /// the shell's exit code for it (127 when the command is not there, 126 when it cannot be run), as for exec.
    /// </summary>
    private void RecordFailedStart(ContainerModel c, Exception e)
    {
        if (e is OperationCanceledException || c.State.IsActive)
            return;
        c.State.Error = e.Message;
        c.State.ExitCode = ExecProcess.FailureExitCode(e.Message);
        store.Save(c);
    }

    public async Task KillAsync(string idOrName, string? signal, CancellationToken ct)
    {
        var c = Get(idOrName);
        if (!c.State.IsActive)
            throw EngineException.Conflict($"Container {c.Id} is not running");
        int sig;
        try
        {
            sig = Signals.Parse(signal ?? "KILL");
        }
        catch (ArgumentException e)
        {
            throw EngineException.BadRequest(e.Message);
        }
        StoppedByUser(c, final: sig == 9 || sig == Signals.Parse(c.Config.StopSignal ?? "TERM"));
        await runtime.KillAsync(c, sig, all: false, ct);
        events.Container(c, "kill", ("signal", sig.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Docker's stop: StopSignal, then SIGKILL after the grace period.</summary>
    public async Task StopAsync(string idOrName, int? timeoutSeconds, CancellationToken ct)
    {
        var c = Get(idOrName);
        StoppedByUser(c, final: true); // also a pending policy restart is called off
        if (!c.State.IsActive)
            return;
        if (c.State.Status == "paused")
            await runtime.ResumeAsync(c, ct);
        var grace = TimeSpan.FromSeconds(timeoutSeconds ?? c.Config.StopTimeout ?? 10);
        var stopSignal = Signals.Parse(c.Config.StopSignal ?? "TERM");
        try
        {
            await runtime.KillAsync(c, stopSignal, all: false, ct);
            events.Container(c, "kill", ("signal", stopSignal.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (EngineException e) when (!c.State.IsActive || e.Status == 409)
        {
            // it exited before the signal came (the watcher may not have recorded it yet): a stop all the same
            await WaitExitAsync(c, TimeSpan.FromSeconds(30), ct);
            events.Container(c, "stop");
            return;
        }
        if (!await WaitExitAsync(c, grace, ct))
        {
            try
            {
                await runtime.KillAsync(c, 9, all: true, ct);
                events.Container(c, "kill", ("signal", "9"));
            }
            catch (EngineException)
            {
                // it exited between the timeout and the kill
            }
            await WaitExitAsync(c, TimeSpan.FromSeconds(30), ct);
        }
        events.Container(c, "stop");
    }

    public async Task PauseAsync(string idOrName, CancellationToken ct)
    {
        var c = Get(idOrName);
        if (c.State.Status != "running")
            throw EngineException.Conflict($"Container {c.Id} is not running");
        await runtime.PauseAsync(c, ct);
        c.State.Status = "paused";
        store.Save(c);
        events.Container(c, "pause");
    }

    public async Task UnpauseAsync(string idOrName, CancellationToken ct)
    {
        var c = Get(idOrName);
        if (c.State.Status != "paused")
            throw EngineException.Conflict($"Container {c.Id} is not paused");
        await runtime.ResumeAsync(c, ct);
        c.State.Status = "running";
        store.Save(c);
        events.Container(c, "unpause");
    }

    public Task RemoveAsync(string idOrName, bool force, CancellationToken ct) => RemoveAsync(idOrName, force, removeVolumes: false, ct);

    /// <summary>docker rm; <paramref name="removeVolumes"/> (rm -v, --rm) also removes the container's anonymous volumes.</summary>
    public async Task RemoveAsync(string idOrName, bool force, bool removeVolumes, CancellationToken ct)
    {
        var c = Get(idOrName);
        if (force)
            restarts.StoppedByUser(c.Id); // a restart due meanwhile would race the removal
        if (c.State.IsActive)
        {
            if (!force)
                throw EngineException.Conflict($"You cannot remove a {c.State.Status} container {c.Id}. Stop the container before attempting removal or force remove");
            if (c.State.Status == "paused")
                await runtime.ResumeAsync(c, ct);
            await runtime.KillAsync(c, 9, all: true, ct);
            events.Container(c, "kill", ("signal", "9"));
            if (!await WaitExitAsync(c, TimeSpan.FromSeconds(30), ct))
                throw new EngineException(500, $"container {c.Id} did not exit after SIGKILL");
        }
        await c.Lock.WaitAsync(ct);
        try
        {
            c.State.Status = "removing";
            await runtime.DeleteAsync(c, ct);
            ReleaseAfterExit(c);
            store.Remove(c.Id);
            _containers.TryRemove(c.Id, out _);
            if (removeVolumes)
                RemoveAnonymousVolumes(c);
            labeler.Release(new ContainerLabels(c.ProcessLabel, c.MountLabel));
            restarts.Reset(c.Id);
            health.Stop(c.Id);
        }
        finally
        {
            c.Lock.Release();
        }
        attach.Removed(c.Id);
        events.Container(c, "destroy");
        if (_exits.TryRemove(c.Id, out var exit))
            exit.TrySetResult();
        NotifyChanged();
    }

    private async Task<bool> WaitExitAsync(ContainerModel c, TimeSpan timeout, CancellationToken ct)
    {
        if (!c.State.IsActive)
            return true;
        var tcs = _exits.GetOrAdd(c.Id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await tcs.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
        }
        return !c.State.IsActive;
    }

    /// <summary>
    /// The rootfs mount, network resources and volumes of a container that exited, failed to start or is being removed. Each is freed on its own, and a failure
    /// is logged, not thrown: the exit must be recorded and its waiters woken whatever cleanup could not be done.
    /// </summary>
    private void ReleaseAfterExit(ContainerModel c)
    {
        foreach (var (what, release) in new (string, Action)[]
        {
            ("root filesystem", () => RootfsMount.Unmount(Path.Combine(store.Bundle(c.Id), "rootfs"))),
            ("network", () => network.Release(c.Id)),
            ("volumes", () => ReleaseVolumes(c)),
        })
        {
            try
            {
                release();
            }
            catch (Exception e)
            {
                log.LogError(e, "releasing the {What} of exited container {Id} failed", what, c.Id);
            }
        }
    }

    /// <summary>Called by the exit watcher: records the monitor's exit record and frees runtime resources.</summary>
    public async Task ReapExitedAsync(CancellationToken ct)
    {
        foreach (var c in _containers.Values.Where(c => c.State.IsActive))
        {
            var exit = store.ReadExit(c.Id);
            if (exit is null)
                continue;
            health.Stop(c.Id);
            await c.Lock.WaitAsync(ct);
            try
            {
                c.State.Status = "exited";
                c.State.ExitCode = exit.ExitCode;
                c.State.OOMKilled = exit.OomKillCount > 0;
                c.State.Pid = 0;
                c.State.FinishedAt = DateTimeOffset.FromUnixTimeMilliseconds(exit.FinishedAtUnixNs / 1_000_000).UtcDateTime;
                try
                {
                    await runtime.DeleteAsync(c, ct);
                }
                catch (EngineException e)
                {
                    log.LogWarning("cleaning up runtime state of {Id}: {Message}", c.Id, e.Message);
                }
                ReleaseAfterExit(c);
                store.Save(c);
                log.LogInformation("container {Id} exited with {Code}{Oom}", c.Id, exit.ExitCode, c.State.OOMKilled ? " (OOM killed)" : "");
            }
            finally
            {
                c.Lock.Release();
            }
            attach.Stopped(c.Id);
            if (c.State.OOMKilled)
                events.Container(c, "oom");
            events.Container(c, "die", ("exitCode", exit.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("execDuration", ((long)(c.State.FinishedAt - c.State.StartedAt).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            ApplyRestartPolicy(c); // before the waiters wake, so they see the restart as pending
            if (_exits.TryRemove(c.Id, out var tcs))
                tcs.TrySetResult();
            NotifyChanged();
            if (c.HostConfig.AutoRemove)
                await AutoRemoveAsync(c);
        }
    }

    // docker run --rm: the container goes once it exited (its exit code stays with the removal waiters).
    private async Task AutoRemoveAsync(ContainerModel c)
    {
        try
        {
            await RemoveAsync(c.Id, force: false, removeVolumes: true, CancellationToken.None);
        }
        catch (EngineException e)
        {
            log.LogWarning("auto-removing {Id}: {Message}", c.Id, e.Message);
        }
    }

    public bool Exists(string id) => _containers.ContainsKey(id);

    public bool IsRunning(string id) => _containers.TryGetValue(id, out var c) && c.State.IsActive;

    public string LogPath(string id) => store.Log(id);

    /// <summary>How many log files the container keeps (its current one and the rotated ones).</summary>
    public int LogFiles(ContainerModel c) => LogRotation.For(c.HostConfig.LogConfig, options).MaxFiles;
}
