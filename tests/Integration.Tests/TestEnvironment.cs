using System.Diagnostics;

namespace ContainerConsole.Integration.Tests;

/// <summary>Where the built commands are, and a busybox root filesystem made from Debian's busybox-static.</summary>
public static class TestEnvironment
{
    private static readonly Lazy<string> LazyRootfs = new(MakeBusyboxRootfs);

    public static string BinDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("CONTAINERCONSOLE_BIN");
            if (!string.IsNullOrEmpty(env))
                return env;
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "ContainerConsole.sln")))
                dir = Path.GetDirectoryName(dir);
            return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found; set CONTAINERCONSOLE_BIN"), "bin");
        }
    }

    public static string Ccrun => Path.Combine(BinDir, "ccrun");

    /// <summary>The docker CLI the machine has (a client only; tests point it at an agent or a dockerd they start).</summary>
    public const string DockerCli = "/usr/local/bin/docker";

    /// <summary>A read-only-by-convention busybox rootfs shared by the tests (each container gets its own bundle).</summary>
    public static string BusyboxRootfs => LazyRootfs.Value;

    private static string MakeBusyboxRootfs()
    {
        const string busybox = "/bin/busybox";
        if (!File.Exists(busybox))
            throw new InvalidOperationException("/bin/busybox not found: install Debian's busybox-static (make test does)");
        var root = Path.Combine(Path.GetTempPath(), $"cc-busybox-{Environment.ProcessId}");
        if (Directory.Exists(root))
            return root;
        var tmp = root + ".tmp";
        if (Directory.Exists(tmp))
            Directory.Delete(tmp, true);
        foreach (var d in new[] { "bin", "proc", "sys", "dev", "etc", "tmp", "root" })
            Directory.CreateDirectory(Path.Combine(tmp, d));
        File.Copy(busybox, Path.Combine(tmp, "bin/busybox"));
        var list = Run(busybox, "--list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var applet in list)
        {
            if (applet == "busybox")
                continue;
            File.CreateSymbolicLink(Path.Combine(tmp, "bin", applet), "busybox");
        }
        File.WriteAllText(Path.Combine(tmp, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        File.WriteAllText(Path.Combine(tmp, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        Directory.Move(tmp, root);
        return root;
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, params string[] args) => RunWithInput(file, null, TimeSpan.FromSeconds(60), args);

    public static Result RunWithInput(string file, string? input, TimeSpan timeout, params string[] args) =>
        RunWithEnvironment(file, input, timeout, new Dictionary<string, string>(), args);

    /// <summary>Runs with extra environment variables (DOCKER_CONFIG, DOCKER_BUILDKIT...).</summary>
    public static Result RunWithEnvironment(string file, string? input, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, UseShellExecute = false };
        foreach (var (k, v) in environment)
            psi.Environment[k] = v;
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
