using System.Diagnostics;
using System.Globalization;

namespace ContainerConsole.Agent.Engine;

/// <summary>docker top: the host's ps, run with the caller's arguments, cut down to the pids of the container's cgroup.</summary>
public static class ContainerTop
{
    public sealed record Table(List<string> Titles, List<List<string>> Processes);

    public static async Task<Table> RunAsync(IReadOnlyCollection<int> pids, string? psArgs, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string.IsNullOrWhiteSpace(psArgs) ? "-ef" : psArgs).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new EngineException(500, "cannot run ps");
        var stderr = p.StandardError.ReadToEndAsync(ct);
        var stdout = await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new EngineException(500, $"ps: {(await stderr).Trim()}");
        return Parse(stdout, pids);
    }

    /// <summary>
    /// Splits ps output into the header's titles and one row per process of <paramref name="pids"/>. Columns are
    /// whitespace-separated except the last (CMD/COMMAND), which keeps its spaces.
    /// </summary>
    public static Table Parse(string output, IReadOnlyCollection<int> pids)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
            throw new EngineException(500, "ps printed nothing");
        var titles = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var pidColumn = titles.IndexOf("PID");
        if (pidColumn < 0)
            throw new EngineException(500, "Couldn't find PID field in ps output");
        var rows = new List<List<string>>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < titles.Count)
                continue;
            if (!int.TryParse(fields[pidColumn], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !pids.Contains(pid))
                continue;
            var row = fields.Take(titles.Count - 1).ToList();
            row.Add(string.Join(' ', fields.Skip(titles.Count - 1)));
            rows.Add(row);
        }
        return new Table(titles, rows);
    }
}
