using System.Diagnostics;

namespace ContainerConsole.Bench;

/// <summary>A daemon the runner started (dockerd, ccagent, ccserver, a registry): its output goes to a log file, and it is
/// stopped by its pid only (SIGTERM, then SIGKILL).</summary>
public sealed class Daemon : IDisposable
{
    private readonly Process _process;

    public string Name { get; }
    public int Pid => _process.Id;
    public string LogFile { get; }

    private Daemon(string name, Process process, string logFile)
    {
        Name = name;
        _process = process;
        LogFile = logFile;
    }

    public static Daemon Start(string name, string file, IEnumerable<string> args, string logFile, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"{name} did not start");
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Daemon(name, process, logFile);
    }

    public bool HasExited => _process.HasExited;

    public async Task WaitReadyAsync(Func<Task<bool>> ready, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await ready())
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}; see {LogFile}:\n{Tail()}");
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"{Name} was not ready after {timeout.TotalSeconds} s; see {LogFile}:\n{Tail()}");
            await Task.Delay(100);
        }
    }

    private string Tail() => File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(15)) : "";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Native.Kill(_process.Id, 15);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
                _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
