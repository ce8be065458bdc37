using System.Text.Json.Serialization;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>The body of POST /containers/{id}/exec (Docker's ExecConfig).</summary>
public sealed class ExecConfig
{
    public bool AttachStdin { get; set; }
    public bool AttachStdout { get; set; }
    public bool AttachStderr { get; set; }
    public bool Tty { get; set; }
    public string? DetachKeys { get; set; }
    public List<string>? Env { get; set; }
    public List<string>? Cmd { get; set; }
    public string? User { get; set; }
    public string? WorkingDir { get; set; }
    public bool Privileged { get; set; }
    public List<uint>? ConsoleSize { get; set; }
}

/// <summary>The body of POST /exec/{id}/start.</summary>
public sealed class ExecStartConfig
{
    public bool Detach { get; set; }
    public bool Tty { get; set; }
    public List<uint>? ConsoleSize { get; set; }
}

/// <summary>One exec instance; kept in exec.json beside its monitor's exit record.</summary>
public sealed class ExecModel
{
    public string Id { get; set; } = "";
    public string ContainerId { get; set; } = "";
    public ExecConfig Config { get; set; } = new();
    public bool Started { get; set; }
    public bool Running { get; set; }
    public int? ExitCode { get; set; }
    public int Pid { get; set; }
    public int ShimPid { get; set; }
    public ulong ShimStartTime { get; set; }

    /// <summary>Completes once a start finished, either way (a resize may arrive while it runs).</summary>
    [JsonIgnore]
    public TaskCompletionSource StartFinished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The OCI process of an exec: the container's process with the exec's command and overrides, as docker builds it.</summary>
public static class ExecProcess
{
    public static Process Build(Process container, ExecConfig exec, Func<string, User> resolveUser)
    {
        var env = new List<string>(container.Env);
        foreach (var e in exec.Env ?? [])
            ReplaceOrAppend(env, e);
        if (exec.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)))
            env.Add("TERM=xterm");
        var caps = container.Capabilities;
        if (exec.Privileged)
        {
            var all = Enumerable.Range(0, CapabilitySet.LastCap + 1).Select(n => CapabilitySet.NameOf(n)).OfType<string>().ToList();
            caps = new Capabilities { Bounding = all, Effective = [.. all], Permitted = [.. all] };
        }
        return new Process
        {
            Args = [.. exec.Cmd ?? []],
            Env = env,
            Cwd = string.IsNullOrEmpty(exec.WorkingDir) ? container.Cwd : exec.WorkingDir,
            User = string.IsNullOrEmpty(exec.User) ? container.User : resolveUser(exec.User),
            Capabilities = caps,
            NoNewPrivileges = container.NoNewPrivileges,
            ApparmorProfile = container.ApparmorProfile,
            SelinuxLabel = container.SelinuxLabel,
            Rlimits = container.Rlimits,
            Terminal = exec.Tty,
            ConsoleSize = exec.Tty ? SpecBuilder.ConsoleSizeOf(exec.ConsoleSize) : null,
        };
    }

    /// <summary>docker's exit code for a process the runtime could not start: 127 not found, 126 cannot run.</summary>
    public static int FailureExitCode(string runtimeError) =>
        runtimeError.Contains("executable file not found", StringComparison.Ordinal) || runtimeError.Contains("no such file or directory", StringComparison.OrdinalIgnoreCase)
            ? 127
            : 126;

    // KEY=VALUE replaces the container's KEY; a later value wins, as in docker.
    private static void ReplaceOrAppend(List<string> env, string entry)
    {
        var key = entry.Contains('=') ? entry[..entry.IndexOf('=')] : entry;
        var i = env.FindIndex(e => e == key || e.StartsWith(key + "=", StringComparison.Ordinal));
        if (i >= 0)
            env[i] = entry;
        else
            env.Add(entry);
    }
}
