using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;
using OciHealthcheck = ContainerConsole.Images.Oci.HealthcheckConfig;

namespace ContainerConsole.Agent.Engine;

/// <summary>Docker's HealthConfig (durations in nanoseconds; 0 means the default).</summary>
public sealed class HealthConfig
{
    public List<string>? Test { get; set; }
    public long Interval { get; set; }
    public long Timeout { get; set; }
    public long StartPeriod { get; set; }
    public long StartInterval { get; set; }
    public int Retries { get; set; }
}

public sealed class HealthLogEntry
{
    public DateTime Start { get; set; }
    public DateTime End { get; set; }
    public int ExitCode { get; set; }
    public string Output { get; set; } = "";
}

/// <summary>State.Health in inspect. Replaced, never changed in place, so it can be serialized while a probe runs.</summary>
public sealed class HealthState
{
    public string Status { get; set; } = HealthSettings.Starting;
    public int FailingStreak { get; set; }
    public List<HealthLogEntry> Log { get; set; } = [];
}

/// <summary>A health check with dockerd's defaults filled in.</summary>
public sealed record HealthSettings(IReadOnlyList<string> Command, TimeSpan Interval, TimeSpan Timeout, TimeSpan StartPeriod, TimeSpan StartInterval, int Retries)
{
    public const string Starting = "starting";
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";
    public const int MaxLogEntries = 5;
    public const int MaxOutputLength = 4096;
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultStartInterval = TimeSpan.FromSeconds(5);

    /// <summary>Null when there is no check: none configured, or Test ["NONE"].</summary>
    public static HealthSettings? From(HealthConfig? c)
    {
        if (c?.Test is not { Count: > 0 } test || test[0] == "NONE")
            return null;
        IReadOnlyList<string> command = test[0] switch
        {
            "CMD" => test.Skip(1).ToList(),
            "CMD-SHELL" => ["/bin/sh", "-c", string.Join(' ', test.Skip(1))],
            _ => throw EngineException.BadRequest($"invalid health check test \"{test[0]}\": expected NONE, CMD or CMD-SHELL"),
        };
        if (command.Count == 0)
            throw EngineException.BadRequest("health check test has no command");
        static TimeSpan Or(long ns, TimeSpan fallback) => ns > 0 ? TimeSpan.FromTicks(ns / 100) : fallback;
        return new HealthSettings(command, Or(c.Interval, DefaultInterval), Or(c.Timeout, DefaultInterval), Or(c.StartPeriod, TimeSpan.Zero),
            Or(c.StartInterval, DefaultStartInterval), c.Retries > 0 ? c.Retries : 3);
    }

    /// <summary>Checks a request's health check (dockerd refuses negative and sub-millisecond durations).</summary>
    public static void Validate(HealthConfig? c)
    {
        if (c is null)
            return;
        foreach (var (name, ns) in new[] { ("Interval", c.Interval), ("Timeout", c.Timeout), ("StartPeriod", c.StartPeriod), ("StartInterval", c.StartInterval) })
            if (ns < 0 || (ns > 0 && ns < 1_000_000))
                throw EngineException.BadRequest($"{name} in Healthcheck cannot be less than 1ms");
        if (c.Retries < 0)
            throw EngineException.BadRequest("Retries in Healthcheck cannot be negative");
        From(c);
    }

    /// <summary>Docker's merge: the container's check, its unset parts taken from the image's.</summary>
    public static HealthConfig? Merge(HealthConfig? container, OciHealthcheck? image)
    {
        if (image is null)
            return container;
        if (container is null)
            return new HealthConfig
            {
                Test = image.Test?.ToList(), Interval = image.Interval ?? 0, Timeout = image.Timeout ?? 0, StartPeriod = image.StartPeriod ?? 0,
                StartInterval = image.StartInterval ?? 0, Retries = image.Retries ?? 0,
            };
        if (container.Test is null or [])
            container.Test = image.Test?.ToList();
        if (container.Interval == 0)
            container.Interval = image.Interval ?? 0;
        if (container.Timeout == 0)
            container.Timeout = image.Timeout ?? 0;
        if (container.StartPeriod == 0)
            container.StartPeriod = image.StartPeriod ?? 0;
        if (container.StartInterval == 0)
            container.StartInterval = image.StartInterval ?? 0;
        if (container.Retries == 0)
            container.Retries = image.Retries ?? 0;
        return container;
    }

    /// <summary>
    /// dockerd's transition: a pass makes it healthy; a failure counts towards Retries, except within the start period
    /// while still starting; the log keeps the last five results.
    /// </summary>
    public HealthState Apply(HealthState current, HealthLogEntry result, DateTime startedAt)
    {
        var next = new HealthState { Status = current.Status, FailingStreak = current.FailingStreak };
        if (result.ExitCode == 0)
        {
            next.FailingStreak = 0;
            next.Status = Healthy;
        }
        else if (!(current.Status == Starting && result.Start - startedAt < StartPeriod))
        {
            next.FailingStreak++;
            if (next.FailingStreak >= Retries)
                next.Status = Unhealthy;
        }
        next.Log = [.. current.Log.Skip(Math.Max(0, current.Log.Count + 1 - MaxLogEntries)), result];
        return next;
    }

    /// <summary>The wait before the next probe: the start interval while starting within the start period.</summary>
    public TimeSpan NextWait(HealthState current, DateTime now, DateTime startedAt) =>
        current.Status == Starting && now - startedAt < StartPeriod ? StartInterval : Interval;
}

/// <summary>Runs one probe command in a container.</summary>
public interface IHealthProbe
{
    Task<HealthLogEntry> RunAsync(ContainerModel c, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct);
}

/// <summary>
/// The periodic checker of one container: wait, probe, record. The clock, the wait and the probe are parameters so
/// its transitions can be driven by a test.
/// </summary>
public static class HealthChecker
{
    public static async Task RunAsync(ContainerModel c, HealthSettings settings, IHealthProbe probe, TimeProvider clock,
        Func<TimeSpan, CancellationToken, Task> wait, Action<HealthState, HealthState> recorded, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var current = c.State.Health ?? new HealthState();
            await wait(settings.NextWait(current, clock.GetUtcNow().UtcDateTime, c.State.StartedAt), ct);
            if (c.State.Status != "running")
                continue; // paused: dockerd skips the probe too
            var result = await probe.RunAsync(c, settings.Command, settings.Timeout, ct);
            ct.ThrowIfCancellationRequested(); // stopped meanwhile: the result is moot
            var before = c.State.Health ?? new HealthState();
            var after = settings.Apply(before, result, c.State.StartedAt);
            c.State.Health = after;
            recorded(before, after);
        }
    }
}

/// <summary>Health checks of the running containers: started with the container (or on re-adoption), stopped with it.</summary>
public sealed class HealthMonitor(ContainerStore store, EventBus events, IHealthProbe probe, ILogger<HealthMonitor> log)
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _checkers = new();

    /// <summary>Starts the container's checker, if it has a check. <paramref name="fresh"/>: a new start resets the state to starting.</summary>
    public void Start(ContainerModel c, bool fresh)
    {
        Stop(c.Id);
        var settings = HealthSettings.From(c.Config.Healthcheck);
        if (settings is null)
            return;
        if (fresh || c.State.Health is null)
        {
            c.State.Health = new HealthState { Log = c.State.Health?.Log ?? [] };
            store.Save(c);
        }
        var cts = new CancellationTokenSource();
        _checkers[c.Id] = cts;
        _ = Task.Run(async () =>
        {
            try
            {
                await HealthChecker.RunAsync(c, settings, probe, TimeProvider.System, (d, t) => Task.Delay(d, t), (before, after) =>
                {
                    store.Save(c);
                    if (before.Status != after.Status)
                        events.Container(c, "health_status: " + after.Status);
                }, cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                log.LogError(e, "health checker of {Id} ended", c.Id);
            }
        });
    }

    public void Stop(string id)
    {
        if (_checkers.TryRemove(id, out var cts))
        {
            cts.Cancel();
            cts.Dispose();
        }
    }
}

/// <summary>
/// A probe through the runtime's exec (`ccrun exec --process`, or runc's), as a child of the agent: a probe is
/// short-lived and dockerd's die with dockerd too. Output is stdout and stderr together, cut at 4096 characters.
/// Each probe is announced as dockerd announces its probe execs: exec_create, exec_start and exec_die events.
/// </summary>
public sealed class RuntimeHealthProbe(AgentOptions options, ContainerStore store, EventBus events) : IHealthProbe
{
    public async Task<HealthLogEntry> RunAsync(ContainerModel c, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
    {
        var start = DateTime.UtcNow;
        var dir = Path.Combine(store.Dir(c.Id), "health");
        Directory.CreateDirectory(dir);
        var processFile = Path.Combine(dir, "process.json");
        var pidFile = Path.Combine(dir, "probe.pid");
        File.Delete(pidFile);
        var spec = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(Path.Combine(store.Bundle(c.Id), "config.json"), ct), RuntimeSpecJson.Default.RuntimeSpec)
                   ?? throw new EngineException(500, $"container {c.Id} has no runtime spec");
        var process = ExecProcess.Build(spec.Process ?? new ContainerConsole.Runtime.Spec.Process(), new ExecConfig { Cmd = [.. command] }, user => SpecBuilder.ParseUser(user, c.Rootfs.Split(':')));
        AtomicFile.Write(processFile, JsonSerializer.SerializeToUtf8Bytes(process, RuntimeSpecJson.Default.Process));

        var psi = new ProcessStartInfo(options.RuntimePath(c.HostConfig.Runtime))
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", options.RuntimeRoot, "exec", "--process", processFile, "--pid-file", pidFile, c.Id })
            psi.ArgumentList.Add(a);
        var execId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var commandLine = string.Join(' ', command);
        events.Container(c, "exec_create: " + commandLine, ("execID", execId));
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new EngineException(500, "cannot start the runtime");
        events.Container(c, "exec_start: " + commandLine, ("execID", execId));
        var entry = await WaitAsync(p, pidFile, timeout, start, ct);
        events.Container(c, "exec_die", ("execID", execId), ("exitCode", entry.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return entry;
    }

    private static async Task<HealthLogEntry> WaitAsync(System.Diagnostics.Process p, string pidFile, TimeSpan timeout, DateTime start, CancellationToken ct)
    {
        p.StandardInput.Close();
        var output = new BoundedText(HealthSettings.MaxOutputLength);
        var reads = Task.WhenAll(output.ReadAsync(p.StandardOutput), output.ReadAsync(p.StandardError));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await p.WaitForExitAsync(deadline.Token);
            await reads;
            return new HealthLogEntry { Start = start, End = DateTime.UtcNow, ExitCode = p.ExitCode, Output = output.Text };
        }
        catch (OperationCanceledException)
        {
            KillProbe(pidFile, p); // timed out, or the container stopped: the probe must not linger
            if (ct.IsCancellationRequested)
                throw;
            return new HealthLogEntry { Start = start, End = DateTime.UtcNow, ExitCode = -1, Output = $"Health check exceeded timeout ({timeout.TotalSeconds:0.###}s)" };
        }
    }

    // The process in the container first (the runtime only waits for it), then the runtime command.
    private static void KillProbe(string pidFile, System.Diagnostics.Process runtime)
    {
        if (!runtime.HasExited && File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            try
            {
                using var probe = System.Diagnostics.Process.GetProcessById(pid);
                probe.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }
        try
        {
            runtime.Kill();
            runtime.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private sealed class BoundedText(int limit)
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                    return _text.ToString();
            }
        }

        public async Task ReadAsync(StreamReader reader)
        {
            var buffer = new char[1024];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
                lock (_text)
                    _text.Append(buffer, 0, Math.Min(n, Math.Max(0, limit - _text.Length))); // the rest is read and dropped
        }
    }
}
