using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ContainerConsole.Bench;

/// <summary>The figures of issue 8, each measured on both engines in the same run.</summary>
public sealed class Figures(Testbed bed, ResultTable table, int runs)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", Inv) + " ms";
    private static string Mib(double bytes) => (bytes / 1048576).ToString("0.00", Inv) + " MiB";

    /// <summary><c>docker run --rm busybox true</c>: the same docker CLI against each engine.</summary>
    public void RunRemoveThroughTheCli()
    {
        var cmd = $"run --rm {Testbed.Image} true";
        var t = Hyperfine.Run(bed.WorkDir, runs, 3, ("ours", Testbed.Cli(bed.Ours, cmd), null), ("docker", Testbed.Cli(bed.Docker, cmd), null));
        AddTimes($"`docker run --rm busybox true`, docker CLI ({runs} runs)", t["ours"], t["docker"], Goal.Max(0.2));
    }

    /// <summary>The same through the API: create, wait, start, remove.</summary>
    public async Task RunRemoveThroughTheApiAsync()
    {
        var ours = await Sample.TimeAsync(3, runs, () => bed.Ours.Client.RunRemoveAsync(Testbed.Image, ["true"]));
        var docker = await Sample.TimeAsync(3, runs, () => bed.Docker.Client.RunRemoveAsync(Testbed.Image, ["true"]));
        AddTimes($"run --rm busybox true, API client ({runs} runs)", ours, docker, null);
    }

    private void AddTimes(string figure, Sample ours, Sample peer, Goal? goal) => AddTimes(table, figure, ours, peer, goal);

    private static void AddTimes(ResultTable table, string figure, Sample ours, Sample peer, Goal? goal)
    {
        table.Add(new ResultRow(figure + ", median", Ms(ours.Median), Ms(peer.Median), ours.Median / peer.Median, goal));
        table.Add(new ResultRow(figure + ", p95", Ms(ours.P95), Ms(peer.P95), ours.P95 / peer.P95));
    }

    /// <summary>The runtimes alone: <c>ccrun run</c> and <c>runc run</c> of one busybox bundle with Docker's default
    /// confinement (all namespaces, default capabilities, seccomp profile).</summary>
    public static void RawRuntime(ResultTable table, string binDir, int runs)
    {
        var dir = Directory.CreateDirectory(Path.Combine("/run", "ccb-rt-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            var rootfs = Path.Combine(dir, "bundle", "rootfs");
            foreach (var d in new[] { "bin", "proc", "sys", "dev", "etc", "tmp" })
                Directory.CreateDirectory(Path.Combine(rootfs, d));
            File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "true"), "busybox");
            var ccrun = Path.Combine(binDir, "ccrun");
            var bundle = Path.Combine(dir, "bundle");
            var spec = Process.Start(new ProcessStartInfo(ccrun, ["spec"]) { WorkingDirectory = bundle })!;
            spec.WaitForExit();
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
            config["process"]!["args"] = new JsonArray("/bin/true");
            config["process"]!["terminal"] = false; // as `docker run` without -t; the spec's default is a terminal for sh

            config["linux"]!["cgroupsPath"] = "/ccbench-rt/run";
            File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
            var t = Hyperfine.Run(dir, runs, 3,
                ("ours", $"{ccrun} --root {dir}/ccrun-state run --bundle {bundle} ccbench", null),
                ("runc", $"runc --root {dir}/runc-state run --bundle {bundle} runcbench", null));
            AddTimes(table, $"raw runtime `run` of a busybox `true` bundle, no terminal, ccrun vs runc ({runs} runs)", t["ours"], t["runc"], Goal.Max(0.3));
        }
        finally
        {
            foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
                foreach (var d in new[] { "ccbench-rt/run", "ccbench-rt" })
                    try { Directory.Delete(Path.Combine(hierarchy, d)); } catch (IOException) { }
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>50 containers created and started at once through the API; the median of 3 rounds of total time.</summary>
    public async Task FiftyConcurrentAsync()
    {
        async Task<double> Round(Engine e)
        {
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
            {
                var id = await e.Client.CreateAsync(Testbed.Image, ["sleep", "600"]);
                await e.Client.StartAsync(id);
            }));
            var ms = sw.Elapsed.TotalMilliseconds;
            await e.Client.RemoveAllAsync();
            return ms;
        }
        var ours = new List<double>();
        var docker = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            ours.Add(await Round(bed.Ours));
            docker.Add(await Round(bed.Docker));
        }
        var (o, d) = (new Sample(ours).Median, new Sample(docker).Median);
        table.Add(new ResultRow("50 containers created and started concurrently, API (total, median of 3)", Ms(o), Ms(d), o / d, Goal.Max(0.3)));
    }

    /// <summary><c>GET /containers/json?all=1</c> with 500 containers (created, a tenth of them running).</summary>
    public async Task PsWith500Async()
    {
        foreach (var e in bed.Both)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                var id = await e.Client.CreateAsync(Testbed.Image, ["sleep", "600"]);
                if (i % 10 == 0)
                    await e.Client.StartAsync(id);
            });
        }
        var samples = new Dictionary<string, Sample>();
        foreach (var e in bed.Both)
        {
            var listed = await e.Client.ListAsync(all: true);
            if (listed != 500)
                throw new InvalidOperationException($"{e.Name} listed {listed} containers, not 500");
            samples[e.Name] = await Sample.TimeAsync(3, runs, () => e.Client.ListAsync(all: true));
        }
        var cli = Hyperfine.Run(bed.WorkDir, runs, 3, ("ours", Testbed.Cli(bed.Ours, "ps -a"), null), ("docker", Testbed.Cli(bed.Docker, "ps -a"), null));
        foreach (var e in bed.Both)
            await e.Client.RemoveAllAsync();
        AddTimes($"`GET /containers/json?all=1` with 500 containers, API ({runs} runs)", samples["ccagent"], samples["dockerd"], Goal.Max(0.5));
        table.Add(new ResultRow($"`docker ps -a` with 500 containers, docker CLI ({runs} runs), median", Ms(cli["ours"].Median), Ms(cli["docker"].Median),
            cli["ours"].Median / cli["docker"].Median));
    }

    /// <summary><c>docker load</c> of a ~100 MB archive of 4 layers of real files, the image removed before each run.</summary>
    public void Load()
    {
        var archive = LoadArchive.Write(bed.WorkDir);
        var size = new FileInfo(archive).Length;
        var t = Hyperfine.Run(bed.WorkDir, Math.Max(3, runs / 6), 1,
            ("ours", Testbed.Cli(bed.Ours, $"load -q -i {archive}"), RemoveImage(bed.Ours)),
            ("docker", Testbed.Cli(bed.Docker, $"load -q -i {archive}"), RemoveImage(bed.Docker)));
        double MiBps(Sample s) => size / 1048576.0 / (s.Median / 1000);
        var (o, d) = (MiBps(t["ours"]), MiBps(t["docker"]));
        table.Add(new ResultRow($"`docker load` of a {size / 1048576} MiB archive of {LoadArchive.Layers} layers (MiB/s, median)",
            $"{o:0.0} MiB/s ({Ms(t["ours"].Median)})", $"{d:0.0} MiB/s ({Ms(t["docker"].Median)})", o / d, Goal.Min(1.5)));
        File.Delete(archive);
    }

    // hyperfine runs it without a shell; the first run has no image to remove
    private static string RemoveImage(Engine e) => $"sh -c \"{Testbed.Cli(e, $"rmi -f {LoadArchive.Tag}")} >/dev/null 2>&1 || true\"";

    /// <summary>A container printing numbered lines as fast as it can for 10 s: lines captured per second, and lines lost
    /// (a gap in the numbers read back through the logs endpoint).</summary>
    public async Task LogThroughputAsync()
    {
        var results = new Dictionary<string, (double PerSecond, long Lost, long Lines)>();
        foreach (var e in bed.Both)
        {
            // not `timeout` as the command: it would exec seq as pid 1, which ignores timeout's SIGTERM; "; true" keeps sh
            // from exec'ing the last command itself
            // json-file for both, without rotation (dockerd's default; ours rotates at 10 MiB unless told)
            var id = await e.Client.CreateAsync(Testbed.Image, ["sh", "-c", "timeout 10 seq 1 999999999; true"],
                new { LogConfig = new { Type = "json-file", Config = new Dictionary<string, string> { ["max-size"] = "8g" } } });
            await e.Client.StartAsync(id);
            await e.Client.WaitAsync(id);
            var state = (await e.Client.InspectAsync(id))["State"]!;
            var ran = DateTime.Parse(state["FinishedAt"]!.GetValue<string>(), Inv, DateTimeStyles.AdjustToUniversal)
                - DateTime.Parse(state["StartedAt"]!.GetValue<string>(), Inv, DateTimeStyles.AdjustToUniversal);
            long lines = 0, expected = 1, lost = 0;
            var lastWasCut = false;
            await e.Client.ReadLogLinesAsync(id, line =>
            {
                lines++;
                lastWasCut = false;
                if (!long.TryParse(line, NumberStyles.None, Inv, out var n) || n < expected)
                {
                    // the very last line may be cut short where timeout killed seq: a prefix of the next number
                    lastWasCut = line.Length > 0 && expected.ToString(Inv).StartsWith(System.Text.Encoding.ASCII.GetString(line), StringComparison.Ordinal);
                    lost++; // garbled or repeated
                    if (lost <= 3)
                        Console.Error.WriteLine($"  {e.Name}: line {lines} is \"{System.Text.Encoding.ASCII.GetString(line)}\" where {expected} was due");
                    return;
                }
                lost += n - expected;
                expected = n + 1;
            });
            if (lastWasCut)
                (lost, lines) = (lost - 1, lines - 1);
            await e.Client.RemoveAsync(id, force: true);
            results[e.Name] = (lines / ran.TotalSeconds, lost, lines);
        }
        var (o, d) = (results["ccagent"], results["dockerd"]);
        table.Add(new ResultRow("log capture, `seq` as fast as it can for 10 s (lines/s read back)",
            $"{o.PerSecond:N0}/s ({o.Lines:N0} lines)", $"{d.PerSecond:N0}/s ({d.Lines:N0} lines)", o.PerSecond / d.PerSecond, Goal.Min(1.0)));
        table.Add(new ResultRow("log capture, lines lost", o.Lost.ToString(Inv), d.Lost.ToString(Inv), null, Met: o.Lost == 0, Note: "0 lost"));
    }

    /// <summary>Idle memory, memory per running container (daemons' growth plus each container's monitor: ccshim,
    /// containerd-shim), and CPU while a client streams the stats of 100 running containers.</summary>
    public async Task HundredRunningAsync(Dictionary<string, long> idleRss, Func<Task> withHundredRunning)
    {
        table.Add(new ResultRow("engine idle RSS (ccagent; dockerd + containerd)", Mib(idleRss["ccagent"]), Mib(idleRss["dockerd"]),
            (double)idleRss["ccagent"] / idleRss["dockerd"]));
        foreach (var e in bed.Both)
            await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
            {
                var id = await e.Client.CreateAsync(Testbed.Image, ["sleep", "3600"]);
                await e.Client.StartAsync(id);
            });
        await Task.Delay(3000);
        var perContainer = new Dictionary<string, double>();
        var monitors = new Dictionary<string, double>();
        foreach (var e in bed.Both)
        {
            var monitorPids = e.MonitorPids();
            if (monitorPids.Count != 100)
                throw new InvalidOperationException($"{e.Name}: found {monitorPids.Count} monitors for 100 containers");
            var daemons = e.DaemonPids().Sum(ProcessStats.Rss);
            var shims = monitorPids.Sum(ProcessStats.Rss);
            perContainer[e.Name] = (daemons - idleRss[e.Name] + shims) / 100.0;
            monitors[e.Name] = shims / 100.0;
        }
        table.Add(new ResultRow("RSS per running container: engine growth + its monitor (100 running)",
            Mib(perContainer["ccagent"]), Mib(perContainer["dockerd"]), perContainer["ccagent"] / perContainer["dockerd"],
            Met: perContainer["ccagent"] <= 2 * 1048576, Note: "≤ 2 MiB"));
        table.Add(new ResultRow("RSS of one monitor (ccshim; containerd-shim-runc-v2)", Mib(monitors["ccagent"]), Mib(monitors["dockerd"]),
            monitors["ccagent"] / monitors["dockerd"]));

        var cpu = new Dictionary<string, double>();
        foreach (var e in bed.Both)
        {
            var pids = e.DaemonPids().Concat(e.MonitorPids()).ToList();
            var ids = await e.Client.AllIdsAsync();
            using var cts = new CancellationTokenSource();
            var streams = ids.Select(id => e.Client.StreamStatsAsync(id, cts.Token)).ToList();
            await Task.Delay(3000); // every stream under way
            var before = pids.Sum(ProcessStats.CpuSeconds);
            var sw = Stopwatch.StartNew();
            await Task.Delay(10_000);
            cpu[e.Name] = (pids.Sum(ProcessStats.CpuSeconds) - before) / sw.Elapsed.TotalSeconds * 100;
            cts.Cancel();
            var samples = await Task.WhenAll(streams);
            if (samples.Min() < 5)
                throw new InvalidOperationException($"{e.Name}: a stats stream gave only {samples.Min()} samples in 13 s");
        }
        table.Add(new ResultRow("CPU of the engine while streaming stats of 100 running containers (% of one core)",
            $"{cpu["ccagent"]:0.0} %", $"{cpu["dockerd"]:0.0} %", cpu["ccagent"] / cpu["dockerd"]));

        await withHundredRunning();
        foreach (var e in bed.Both)
            await e.Client.RemoveAllAsync();
    }

    /// <summary>Our server's <c>GET /api/v1/containers</c> under wrk (50 connections, 10 s), in front of ccagent and in
    /// front of dockerd, each with 100 running containers.</summary>
    public async Task ServerListAsync()
    {
        var rates = new Dictionary<string, double>();
        foreach (var e in bed.Both)
        {
            await using var server = await ServerUnderTest.StartAsync(bed, e);
            rates[e.Name] = server.Wrk("/api/v1/containers");
        }
        table.Add(new ResultRow("ccserver `GET /api/v1/containers`, 100 containers, wrk 50 connections (req/s; peer: the same server in front of dockerd)",
            $"{rates["ccagent"]:N0}/s", $"{rates["dockerd"]:N0}/s", rates["ccagent"] / rates["dockerd"]));
    }
}
