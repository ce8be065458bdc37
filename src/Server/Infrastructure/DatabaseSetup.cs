using System.Data.Common;
using ContainerConsole.Server.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ContainerConsole.Server.Infrastructure;

internal static class DatabaseSetup
{
    /// <summary>
    /// A <see cref="ConsoleDbContext"/> factory on the chosen database (default <c>DATA_DIR/containerconsole.db</c>).
    /// The stores are singletons and open a short-lived context per operation.
    /// </summary>
    public static IServiceCollection AddConsoleDatabase(this IServiceCollection services)
    {
        services.AddDbContextFactory<ConsoleDbContext, ConsoleDbContextFactory>((sp, options) =>
            Configure(options, sp.GetRequiredService<IOptions<ServerOptions>>().Value));
        services.AddSingleton<DatabaseMigrator>();
        return services;
    }

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, ServerOptions server) =>
        server.DatabaseProvider switch
        {
            DatabaseProvider.Postgres => options.UseNpgsql(server.ConnectionString),
            _ => options.UseSqlite(string.IsNullOrWhiteSpace(server.ConnectionString) ? ConnectionString(server.DatabaseFile) : server.ConnectionString),
        };

    /// <summary>
    /// The context type of a provider: both share one model, but EF ties a migration set to a context type, so
    /// PostgreSQL's migrations belong to <see cref="PostgresConsoleDbContext"/>.
    /// </summary>
    public static ConsoleDbContext CreateContext(DbContextOptions<ConsoleDbContext> options, DatabaseProvider provider) =>
        provider == DatabaseProvider.Postgres ? new PostgresConsoleDbContext(options) : new ConsoleDbContext(options);

    public static string ConnectionString(string databaseFile) => new SqliteConnectionStringBuilder
    {
        DataSource = databaseFile,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30, // seconds a writer waits for another writer's lock
    }.ToString();

    /// <summary>What is wrong with the database settings, in the words of the command line.</summary>
    public static IEnumerable<string> Validate(ServerOptions options)
    {
        if (!ServerOptions.TryParseDatabase(options.Database, out var provider))
        {
            yield return $"--database {options.Database}: must be sqlite or postgres.";
            yield break;
        }

        var connectionString = options.ConnectionString;
        if (provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(connectionString))
        {
            yield return "--database postgres needs --connection-string (or ConnectionStrings:Console), e.g. 'Host=db;Database=containerconsole;Username=cc;Password=...'.";
            yield break;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            yield break;
        }

        string? error = null;
        try
        {
            // Both builders reject unknown keywords and unparsable values, naming the keyword (not the value, which may be a password).
            _ = provider == DatabaseProvider.Postgres
                ? new NpgsqlConnectionStringBuilder(connectionString).ToString()
                : new SqliteConnectionStringBuilder(connectionString).ToString();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            error = ex.Message;
        }

        if (error is not null)
        {
            yield return $"--connection-string is not a valid {Describe(provider)} connection string: {error}";
        }
    }

    /// <summary>Names the database for messages, without its password.</summary>
    public static string Describe(ServerOptions options)
    {
        if (options.DatabaseProvider == DatabaseProvider.Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            return $"PostgreSQL database '{builder.Database ?? builder.Username ?? "(default)"}' on {builder.Host ?? "localhost"}:{builder.Port}{(builder.Username is null ? "" : $" as {builder.Username}")}";
        }

        return string.IsNullOrWhiteSpace(options.ConnectionString)
            ? $"SQLite database {options.DatabaseFile}"
            : $"SQLite database {new SqliteConnectionStringBuilder(options.ConnectionString).DataSource}";
    }

    private static string Describe(DatabaseProvider provider) => provider == DatabaseProvider.Postgres ? "PostgreSQL" : "SQLite";
}

/// <summary>Makes the context type of the configured provider (see <see cref="DatabaseSetup.CreateContext"/>).</summary>
internal sealed class ConsoleDbContextFactory(DbContextOptions<ConsoleDbContext> options, IOptions<ServerOptions> server)
    : IDbContextFactory<ConsoleDbContext>
{
    private readonly DatabaseProvider _provider = server.Value.DatabaseProvider;

    public ConsoleDbContext CreateDbContext() => DatabaseSetup.CreateContext(options, _provider);
}

/// <summary>The database could not be opened or migrated; the message says which one and why.</summary>
public sealed class DatabaseUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Creates the database on the first start and applies pending migrations on every start. Program runs it before
/// the host starts, so users, hosts and the audit log are ready before any hosted service reads them, and a
/// database that cannot be reached ends the start with a message instead of a stack trace.
/// </summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<ConsoleDbContext> contexts,
    IOptions<ServerOptions> options,
    ILogger<DatabaseMigrator> logger)
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>True when this start created the schema (no migration had been applied before).</summary>
    public bool FirstStart { get; private set; }

    /// <exception cref="DatabaseUnavailableException">The database cannot be opened, created or migrated.</exception>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var target = DatabaseSetup.Describe(settings);
        try
        {
            var sqlite = settings.DatabaseProvider == DatabaseProvider.Sqlite;
            if (sqlite && string.IsNullOrWhiteSpace(settings.ConnectionString))
            {
                await CreatePrivateFileAsync(settings, cancellationToken);
            }

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            FirstStart = !(await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any();
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} database migration(s) to the {Database}: {Migrations}", pending.Count, target, pending);
                await db.Database.MigrateAsync(cancellationToken);
            }

            if (sqlite)
            {
                // Write-ahead logging lets the audit writer and readers work side by side; the mode sticks to the file.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or IOException or UnauthorizedAccessException
            || ex.InnerException is DbException or TimeoutException)
        {
            throw new DatabaseUnavailableException($"cannot open the {target}: {Reasons(ex)}", ex);
        }
    }

    private static async Task CreatePrivateFileAsync(ServerOptions settings, CancellationToken cancellationToken)
    {
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

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>The messages of an exception and its causes ("Failed to connect to ...: No such file or directory").</summary>
    private static string Reasons(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (!messages.Any(m => m.Contains(e.Message, StringComparison.Ordinal)))
            {
                messages.Add(e.Message.TrimEnd('.'));
            }
        }

        return string.Join(": ", messages);
    }
}
