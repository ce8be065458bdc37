using System.Diagnostics;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster from Debian's postgresql package, run as the postgres user, listening only on a
/// unix socket in its own temporary directory (no TCP). Stopped and deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private const int Port = 5439; // only names the socket file: there is no TCP listener

    private readonly string _directory;

    private PostgresServer(string directory) => _directory = directory;

    public string ConnectionString => $"Host={SocketDirectory};Port={Port};Username=postgres;Database=postgres;Pooling=false";

    private string DataDirectory => Path.Combine(_directory, "data");

    private string SocketDirectory => _directory;

    public static async Task<PostgresServer> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinDir, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDir}); install Debian's postgresql package (make test-deps).");
        }

        var directory = Path.Combine(Path.GetTempPath(), "ccpg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(directory);
        var server = new PostgresServer(directory);
        try
        {
            await RunAsync("chown", "postgres:postgres", directory);
            await RunAsPostgresAsync(Path.Combine(BinDir, "initdb"), "-D", server.DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync");
            await RunAsPostgresAsync(Path.Combine(BinDir, "pg_ctl"), "-D", server.DataDirectory, "-w", "-l", Path.Combine(directory, "log"),
                "-o", $"-c listen_addresses='' -k {directory} -p {Port} -c fsync=off", "start");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunAsPostgresAsync(Path.Combine(BinDir, "pg_ctl"), "-D", DataDirectory, "-w", "-m", "immediate", "stop");
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static Task RunAsPostgresAsync(params string[] command) => RunAsync("runuser", ["-u", "postgres", "--", .. command]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
