using System.Diagnostics;

namespace ContainerConsole.Bench;

/// <summary>One engine under test: its daemon, its API client, how to find its processes.</summary>
public sealed record Engine(string Name, string Socket, EngineClient Client, Func<IReadOnlyList<int>> DaemonPids, Func<IReadOnlyList<int>> MonitorPids);

/// <summary>
/// Both engines side by side on temporary roots: Debian's dockerd (with the containerd it starts itself) on a bridge of
/// ours and ccagent on its own bridge. Everything made here is removed again: containers, daemons, mounts, bridges,
/// the agent's nftables table, cgroups.
/// </summary>
public sealed class Testbed : IAsyncDisposable
{
    public const string Image = "ccbench/busybox:1";
    private const string DockerBridge = "ccbdock0";
    private const string AgentBridge = "ccbagent0";
    private const string DockerCgroupParent = "/ccbench-dockerd";

    private readonly List<Daemon> _daemons = [];
    private bool _dockerBridgeMade;

    public string WorkDir { get; }
    public string BinDir { get; }
    public Engine Ours { get; private set; } = null!;
    public Engine Docker { get; private set; } = null!;

    private Testbed(string workDir, string binDir)
    {
        WorkDir = workDir;
        BinDir = binDir;
    }

    public static async Task<Testbed> StartAsync(string binDir)
    {
        // on disk, not tmpfs: image load and logs are written where a host keeps them; short paths for unix sockets
        var bed = new Testbed(Directory.CreateDirectory(Path.Combine("/var/tmp", "ccb-" + Guid.NewGuid().ToString("N")[..8])).FullName, binDir);
        try
        {
            await bed.StartEnginesAsync();
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    private async Task StartEnginesAsync()
    {
        // dockerd's default network needs a bridge; --iptables=false keeps it off the host's firewall (ours adds its rules
        // to its own nftables table, so this setting favours dockerd, if anything)
        Run("ip", "link", "add", "name", DockerBridge, "type", "bridge");
        _dockerBridgeMade = true;
        Run("ip", "addr", "add", "172.31.251.1/24", "dev", DockerBridge);
        Run("ip", "link", "set", DockerBridge, "up");
        var dockerSocket = Path.Combine(WorkDir, "docker.sock");
        var dockerd = Daemon.Start("dockerd", "dockerd",
        [
            "--data-root", Path.Combine(WorkDir, "docker"), "--exec-root", Path.Combine(WorkDir, "dr"), "--pidfile", Path.Combine(WorkDir, "docker.pid"),
            "-H", "unix://" + dockerSocket, "--bridge", DockerBridge, "--iptables=false", "--ip6tables=false", "--ip-forward=false",
            "--ip-masq=false", "--storage-driver=overlay2", "--cgroup-parent", DockerCgroupParent, "--config-file", WriteDockerConfig(),
        ], Path.Combine(WorkDir, "dockerd.log"));
        _daemons.Add(dockerd);
        var agentSocket = Path.Combine(WorkDir, "ar", "agent.sock");
        var agent = Daemon.Start("ccagent", Path.Combine(BinDir, "ccagent"),
            ["--data-root", Path.Combine(WorkDir, "cc"), "--exec-root", Path.Combine(WorkDir, "ar"), "--bridge", AgentBridge],
            Path.Combine(WorkDir, "ccagent.log"));
        _daemons.Add(agent);

        Docker = new Engine("dockerd", dockerSocket, new EngineClient(dockerSocket),
            () => [dockerd.Pid, .. ProcessStats.Find(WorkDir, "containerd").Where(p => !IsShim(p))],
            () => ProcessStats.Find(WorkDir, "containerd-shim"));
        Ours = new Engine("ccagent", agentSocket, new EngineClient(agentSocket),
            () => [agent.Pid],
            () => ProcessStats.Find(WorkDir, "ccshim"));
        await dockerd.WaitReadyAsync(Docker.Client.PingAsync, TimeSpan.FromSeconds(60));
        await agent.WaitReadyAsync(Ours.Client.PingAsync, TimeSpan.FromSeconds(60));

        var archive = ImageArchive_Busybox();
        await Docker.Client.LoadAsync(archive);
        await Ours.Client.LoadAsync(archive);
    }

    private static bool IsShim(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").StartsWith("containerd-shim", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private string WriteDockerConfig()
    {
        var path = Path.Combine(WorkDir, "daemon.json");
        File.WriteAllText(path, "{}");
        return path;
    }

    /// <summary>The same busybox-static image for both engines (the tests' image, with the applets the figures use).</summary>
    private static byte[] ImageArchive_Busybox() =>
        Tests.ImageArchive.DockerSave(Image, Tests.ImageArchive.BusyboxLayer(), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } });

    public IEnumerable<Engine> Both => [Ours, Docker];

    /// <summary>The docker CLI's command line against <paramref name="engine"/>.</summary>
    public static string Cli(Engine engine, string args) => $"docker -H unix://{engine.Socket} {args}";

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr.Result.Trim()}");
        return stdout;
    }

    private static void TryRun(string file, params string[] args)
    {
        try
        {
            Run(file, args);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in new[] { Ours, Docker }.Where(e => e is not null))
        {
            try
            {
                await engine.Client.RemoveAllAsync();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleaning up {engine.Name}'s containers: {e.Message}");
            }
            engine.Client.Dispose();
        }
        foreach (var d in Enumerable.Reverse(_daemons))
            d.Dispose();
        // the agent keeps containers alive without it (live restore), so they were removed above; what it made in the kernel:
        TryRun("ip", "link", "del", AgentBridge);
        TryRun("nft", "delete", "table", "ip", "containerconsole_" + AgentBridge);
        if (_dockerBridgeMade)
            TryRun("ip", "link", "del", DockerBridge);
        foreach (var hierarchy in Directory.Exists("/sys/fs/cgroup") ? Directory.EnumerateDirectories("/sys/fs/cgroup") : [])
        {
            var dir = Path.Combine(hierarchy, DockerCgroupParent.TrimStart('/'));
            if (Directory.Exists(dir))
                foreach (var d in Directory.EnumerateDirectories(dir).Append(dir))
                    try { Directory.Delete(d); } catch (IOException) { }
        }
        UnmountUnder(WorkDir);
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not remove {WorkDir}: {e.Message}");
        }
    }

    /// <summary>Whatever a daemon left mounted under the work dir (overlays, shm, netns files), deepest first.</summary>
    private static void UnmountUnder(string dir)
    {
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length).ToList();
        foreach (var m in mounts)
            Native.Umount2(m, Native.MntDetach);
    }
}
