using System.Diagnostics;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>Runs <c>bin/ccserver</c> (after <c>make build</c>) for start-up checks that end before it listens.</summary>
public static class ServerProcess
{
    public sealed record Outcome(int ExitCode, string Output, string Error);

    /// <summary>Runs ccserver with these arguments and waits up to a minute for it to exit (killed if it does not).</summary>
    public static async Task<Outcome> RunToExitAsync(params string[] args)
    {
        var program = Path.Combine(RealAgent.BinDir(), "ccserver");
        if (!File.Exists(program))
        {
            throw new InvalidOperationException($"{program} is missing: run make build (or set CONTAINERCONSOLE_BIN).");
        }

        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ConnectionStrings__Console");
        start.Environment.Remove("ContainerConsole__Database");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"ccserver {string.Join(' ', args)} did not exit: {await error}{await output}");
        }

        return new Outcome(process.ExitCode, await output, await error);
    }
}
