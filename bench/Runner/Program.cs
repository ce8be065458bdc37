using System.Globalization;
using ContainerConsole.Bench;

// ccbench [--runs N] [--bin DIR] [--out FILE] [--only NAME,...]: every figure (or the named ones: raw, cli, api, concurrent,
// ps, load, logs, running) on ccagent and on Debian's dockerd (runc for the raw runtime)
// in this one run, printed as a markdown table (progress on stderr). Needs root, dockerd, containerd, runc, hyperfine, wrk.
var runs = 30;
var binDir = Path.GetFullPath("bin");
string? outFile = null;
HashSet<string>? only = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--bin": binDir = Path.GetFullPath(args[++i]); break;
        case "--out": outFile = args[++i]; break;
        case "--only": only = [.. args[++i].Split(',')]; break;
        default:
            Console.Error.WriteLine($"ccbench: unknown argument {args[i]}\nusage: ccbench [--runs N] [--bin DIR] [--out FILE] [--only NAME,...]");
            return 2;
    }
}
if (Environment.UserName != "root")
{
    Console.Error.WriteLine("ccbench: needs root (it starts dockerd, ccagent and containers)");
    return 2;
}

var table = new ResultTable();
var started = DateTime.UtcNow;
bool Wanted(string name) => only is null || only.Contains(name);
if (Wanted("raw"))
{
    // first, while no daemon runs: the runtimes alone, and dockerd's start-up would be noise in a 15 ms figure
    Console.Error.WriteLine("raw runtime...");
    try
    {
        Figures.RawRuntime(table, binDir, runs);
    }
    catch (Exception e)
    {
        table.Failed("raw runtime", e);
    }
}
Console.Error.WriteLine("starting dockerd and ccagent on temporary roots...");
await using (var bed = await Testbed.StartAsync(binDir))
{
    var idleRss = bed.Both.ToDictionary(e => e.Name, e => e.DaemonPids().Sum(ProcessStats.Rss));
    var figures = new Figures(bed, table, runs);
    async Task Measure(string name, string what, Func<Task> figure)
    {
        if (!Wanted(name))
            return;
        Console.Error.WriteLine(what + "...");
        try
        {
            await figure();
        }
        catch (Exception e)
        {
            table.Failed(what, e);
            foreach (var engine in bed.Both)
                await engine.Client.RemoveAllAsync();
        }
    }
    await Measure("cli", "run --rm through the docker CLI", () => { figures.RunRemoveThroughTheCli(); return Task.CompletedTask; });
    await Measure("api", "run --rm through the API", figures.RunRemoveThroughTheApiAsync);
    await Measure("concurrent", "50 concurrent starts", figures.FiftyConcurrentAsync);
    await Measure("ps", "ps with 500 containers", figures.PsWith500Async);
    await Measure("load", "image load", () => { figures.Load(); return Task.CompletedTask; });
    await Measure("logs", "log throughput", figures.LogThroughputAsync);
    await Measure("running", "100 running: memory, stats, server", () => figures.HundredRunningAsync(idleRss, figures.ServerListAsync));
}

var machine = $"{Environment.ProcessorCount} cores, {File.ReadLines("/etc/os-release").First(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))[12..].Trim('"')}, kernel {Environment.OSVersion.Version}";
var markdown = $"ContainerConsole vs Docker (Debian's dockerd {DockerVersion()}, runc) on {started:yyyy-MM-dd}, {machine}; " +
    $"{(DateTime.UtcNow - started).TotalMinutes:0.0} min\n\n" + table.ToMarkdown();
Console.WriteLine(markdown);
if (outFile is not null)
    File.WriteAllText(outFile, markdown);
return table.Rows.Any(r => r.Ours == "failed") ? 1 : 0;

static string DockerVersion()
{
    try
    {
        return Testbed.Run("dockerd", "--version").Trim().Replace("Docker version ", "", StringComparison.Ordinal).Split(',')[0];
    }
    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
    {
        return "?";
    }
}
