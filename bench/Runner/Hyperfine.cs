using System.Diagnostics;
using System.Text.Json;

namespace ContainerConsole.Bench;

/// <summary>Timings of command lines by hyperfine (no shell, so nothing but the command is timed), in milliseconds.</summary>
public static class Hyperfine
{
    public static IReadOnlyDictionary<string, Sample> Run(string workDir, int runs, int warmup, params (string Name, string Command, string? Prepare)[] commands)
    {
        var json = Path.Combine(workDir, $"hyperfine-{Guid.NewGuid():N}.json");
        var psi = new ProcessStartInfo("hyperfine") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--style", "none", "-N", "--runs", runs.ToString(), "--warmup", warmup.ToString(), "--export-json", json })
            psi.ArgumentList.Add(a);
        foreach (var (name, command, prepare) in commands)
        {
            if (prepare is not null)
            {
                psi.ArgumentList.Add("--prepare");
                psi.ArgumentList.Add(prepare);
            }
            psi.ArgumentList.Add("-n");
            psi.ArgumentList.Add(name);
            psi.ArgumentList.Add(command);
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"hyperfine failed: {stderr.Result.Trim()}{Diagnose(commands)}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        File.Delete(json);
        return doc.RootElement.GetProperty("results").EnumerateArray().ToDictionary(
            r => r.GetProperty("command").GetString()!,
            r => new Sample(r.GetProperty("times").EnumerateArray().Select(t => t.GetDouble() * 1000).ToList()));
    }

    /// <summary>Hyperfine says only that a command failed: run each once more and quote the first one's own error.</summary>
    private static string Diagnose((string Name, string Command, string? Prepare)[] commands)
    {
        foreach (var (name, command, _) in commands)
        {
            var psi = new ProcessStartInfo("sh", ["-c", command]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                return $"\n{name}: `{command}` exited with {p.ExitCode}: {stderr.Result.Trim()}";
        }
        return "";
    }
}
