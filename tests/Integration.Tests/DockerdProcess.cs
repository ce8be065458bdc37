using System.Diagnostics;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// Debian's dockerd on temporary roots and its own socket, as the peer for compatibility tests: no bridge, no netfilter
/// rules, containers under a test cgroup parent that is removed afterwards. Stopped by pid.
/// </summary>
public sealed class DockerdProcess : IDisposable
{
    private const string Dockerd = "/usr/sbin/dockerd";
    private readonly Process _process;
    private readonly string _cgroupParent = "cc-dockerd-test-" + Guid.NewGuid().ToString("N")[..8];

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "cc-dockerd-" + Guid.NewGuid().ToString("N")[..10]);
    public string Socket => Path.Combine(Dir, "docker.sock");

    /// <summary>Why dockerd cannot run here, or null. CI installs docker.io, so there this is always null.</summary>
    public static string? Unavailable =>
        File.Exists(Dockerd) ? null : $"{Dockerd} not found: install Debian's docker.io (make test-deps does)";

    public DockerdProcess()
    {
        if (Unavailable is { } why)
            throw new InvalidOperationException(why);
        Directory.CreateDirectory(Dir);
        var config = Path.Combine(Dir, "daemon.json");
        File.WriteAllText(config, "{}");
        var psi = new ProcessStartInfo(Dockerd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--config-file", config, "--data-root", Path.Combine(Dir, "data"), "--exec-root", Path.Combine(Dir, "exec"),
                     "--pidfile", Path.Combine(Dir, "docker.pid"), "-H", $"unix://{Socket}", "--bridge=none", "--iptables=false",
                     "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
                     "--storage-driver=overlay2", "--cgroup-parent", "/" + _cgroupParent,
                 })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Docker("version").ExitCode != 0)
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                Dispose();
                throw new InvalidOperationException("dockerd did not start");
            }
            Thread.Sleep(200);
        }
    }

    public TestEnvironment.Result Docker(params string[] args) =>
        TestEnvironment.RunWithInput("docker", null, TimeSpan.FromSeconds(120), ["-H", $"unix://{Socket}", .. args]);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: dockerd stops its containers and the containerd it started, then unmounts its layers.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            if (!_process.WaitForExit(30_000))
                _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
        {
            var dir = Path.Combine(hierarchy, _cgroupParent);
            if (Directory.Exists(dir))
                Directory.Delete(dir);
        }
        var mounts = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(Dir, StringComparison.Ordinal)).ToList();
        Assert.True(mounts.Count == 0, $"dockerd left mounts: {string.Join('\n', mounts)}");
        Directory.Delete(Dir, recursive: true);
    }
}
