using ContainerConsole.Server.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Infrastructure;

internal static class DatabaseSetup
{
    /// <summary>
    /// A <see cref="ConsoleDbContext"/> factory on <c>DATA_DIR/containerconsole.db</c>. The stores are singletons
    /// and open a short-lived context per operation.
    /// </summary>
    public static IServiceCollection AddConsoleDatabase(this IServiceCollection services)
    {
        services.AddDbContextFactory<ConsoleDbContext>((sp, options) =>
            options.UseSqlite(ConnectionString(sp.GetRequiredService<IOptions<ServerOptions>>().Value.DatabaseFile)));
        services.AddSingleton<DatabaseMigrator>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseMigrator>());
        return services;
    }

    public static string ConnectionString(string databaseFile) => new SqliteConnectionStringBuilder
    {
        DataSource = databaseFile,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30, // seconds a writer waits for another writer's lock
    }.ToString();
}

/// <summary>
/// Creates the database on the first start and applies pending migrations on every start. Registered before
/// every other hosted service, so users, hosts and the audit log are ready before anything reads them.
/// </summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<ConsoleDbContext> contexts,
    IOptions<ServerOptions> options,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>True when this start created the schema (no migration had been applied before).</summary>
    public bool FirstStart { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!Directory.Exists(settings.DataDir))
        {
            Directory.CreateDirectory(settings.DataDir, OwnerOnlyDirectory);
        }

        if (!File.Exists(settings.DatabaseFile))
        {
            // Password hashes and token digests live here: create the file private before SQLite opens it.
            await using (File.Create(settings.DatabaseFile, 0, FileOptions.None))
            {
            }

            File.SetUnixFileMode(settings.DatabaseFile, OwnerOnlyFile);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        FirstStart = !(await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} database migration(s) to {Path}: {Migrations}", pending.Count, settings.DatabaseFile, pending);
            await db.Database.MigrateAsync(cancellationToken);
        }

        // Write-ahead logging lets the audit writer and readers work side by side; the mode sticks to the file.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
