using System.Diagnostics;

namespace ContainerConsole.Networking.Tests;

/// <summary>Runs tools the tests use to build and inspect their own fixtures (ip, busybox).</summary>
internal static class TestProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, params string[] args) => RunWithInput(null, file, args);

    public static Result RunWithInput(string? stdin, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
            p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Ip(params string[] args)
    {
        var r = Run("/usr/sbin/ip", args);
        Assert.True(r.ExitCode == 0, $"ip {string.Join(' ', args)}: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>The host's link names, to compare before and after a test.</summary>
    public static SortedSet<string> LinkNames() =>
        new(Ip("-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':')[1].Trim().Split('@')[0]));

    /// <summary>Starts a long-running process (a server); the caller kills it by its pid.</summary>
    public static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static void Stop(Process? p)
    {
        if (p is null)
            return;
        try
        {
            if (!p.HasExited)
                p.Kill();
            p.WaitForExit(5_000);
        }
        catch (InvalidOperationException)
        {
        }
        p.Dispose();
    }
}
