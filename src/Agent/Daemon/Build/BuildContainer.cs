using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Runtime.Spec;
using Process = System.Diagnostics.Process;

namespace ContainerConsole.Agent.Build;

/// <summary>What a RUN step runs: the stage's layers, its config (Env, WorkingDir, User) and the command.</summary>
public sealed record BuildRunRequest(IReadOnlyList<string> LowerDirs, IReadOnlyList<string> Env, string? WorkingDir, string? User, IReadOnlyList<string> Args);

/// <summary>
/// Runs one RUN step in a real container: an OCI bundle with the default confinement (SpecBuilder), an overlay of the
/// stage's layers with a fresh upper directory, and the configured runtime's <c>run</c> in the foreground with its
/// stdout and stderr streamed to the build output. There is no network but loopback (a private network namespace).
/// The runtime removes the container and its cgroup when it exits; a cancelled build kills it first.
/// </summary>
public sealed class BuildContainer(AgentOptions options, ILogger<BuildContainer> log)
{
    /// <summary>Runs the step in <paramref name="dir"/> (created here; the caller removes it); the upper directory is dir/upper.</summary>
    public async Task<(int ExitCode, string ContainerId)> RunAsync(BuildRunRequest request, string dir, Func<string, Task> output, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var bundle = Path.Combine(dir, "bundle");
        var rootfs = Path.Combine(bundle, "rootfs");
        var upper = UpperDir(dir);
        var work = Path.Combine(dir, "work");
        Directory.CreateDirectory(rootfs);
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        var c = new ContainerModel
        {
            Id = id,
            Created = DateTime.UtcNow,
            Rootfs = string.Join(':', request.LowerDirs),
            Config = new ContainerConfig { Env = [.. request.Env], WorkingDir = request.WorkingDir, User = request.User },
            HostConfig = new HostConfig { Runtime = options.DefaultRuntime, NetworkMode = "none" },
            Args = [.. request.Args],
        };
        var builtin = options.IsBuiltinRuntime(c.HostConfig.Runtime);
        var spec = SpecBuilder.Build(c, upper, work, builtin);
        spec.Linux!.CgroupsPath = $"/containerconsole/build-{id}";
        await File.WriteAllBytesAsync(Path.Combine(bundle, "config.json"), JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeSpecJson.Default.RuntimeSpec), ct);
        if (!builtin)
            RootfsMount.Mount(c.Rootfs, upper, work, rootfs);
        await output($" ---> Running in {id[..12]}\n");
        try
        {
            var code = await RunRuntimeAsync(c, bundle, output, ct);
            PruneMountPoints(upper, request.LowerDirs, spec.Mounts.Select(m => m.Destination));
            return (code, id);
        }
        finally
        {
            RootfsMount.Unmount(rootfs);
        }
    }

    /// <summary>
    /// The runtime creates missing mount points (/proc, /dev, /sys, ...) in the upper directory; Docker keeps them in a
    /// separate init layer, so they never reach an image. Empty ones the image did not have are removed, deepest first.
    /// </summary>
    private static void PruneMountPoints(string upper, IReadOnlyList<string> lowerDirs, IEnumerable<string> destinations)
    {
        foreach (var dest in destinations.Where(d => d.StartsWith('/')).OrderByDescending(d => d.Length))
        {
            var path = Path.Combine(upper, dest.TrimStart('/'));
            if (ContainerConsole.Images.Build.LowerLookup.Find(lowerDirs, dest) is not null)
                continue;
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is null && info.Exists && !info.EnumerateFileSystemInfos().Any())
                info.Delete();
            else if (new FileInfo(path) is { Exists: true, Length: 0, LinkTarget: null } file)
                file.Delete();
        }
    }

    public static string UpperDir(string dir) => Path.Combine(dir, "upper");

    private async Task<int> RunRuntimeAsync(ContainerModel c, string bundle, Func<string, Task> output, CancellationToken ct)
    {
        var runtime = options.RuntimePath(c.HostConfig.Runtime);
        var psi = new ProcessStartInfo(runtime)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", options.RuntimeRoot, "run", "--bundle", bundle, c.Id })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new EngineException(500, $"cannot start the runtime {runtime}");
        p.StandardInput.Close(); // RUN steps read EOF from stdin, as with docker build
        var gate = new SemaphoreSlim(1, 1);
        async Task Pump(StreamReader reader)
        {
            var buffer = new char[8192];
            int n;
            while ((n = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
            {
                await gate.WaitAsync(CancellationToken.None);
                try
                {
                    await output(new string(buffer, 0, n));
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // the client went away; keep draining so the container is not blocked on a full pipe
                }
                finally
                {
                    gate.Release();
                }
            }
        }

        var pumps = Task.WhenAll(Pump(p.StandardOutput), Pump(p.StandardError));
        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            await RuntimeAsync(runtime, "kill", "--all", c.Id, "9");
            await p.WaitForExitAsync(CancellationToken.None);
            await pumps;
            await RuntimeAsync(runtime, "delete", "--force", c.Id); // run removes it on exit; this covers a run that died first
            throw;
        }

        await pumps;
        return p.ExitCode;
    }

    /// <summary>For a cancelled build: a runtime verb whose failure (e.g. already gone) is only logged.</summary>
    private async Task RuntimeAsync(string runtime, params string[] args)
    {
        var psi = new ProcessStartInfo(runtime) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("--root");
        psi.ArgumentList.Add(options.RuntimeRoot);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi);
        if (p is null)
            return;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            log.LogDebug("runtime {Verb} of a build container exited {Code}: {Error}", args[0], p.ExitCode, await err);
    }
}
