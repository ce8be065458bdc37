using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Server.Users;
using ContainerConsole.Tests;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ContainerConsole.Server.Tests;

/// <summary>
/// The server on a real PostgreSQL server: the schema comes from PostgreSQL's own migration set, the stores' queries
/// run there (case-insensitive names, ordering by time, the unique event key), and the whole server starts on it.
/// </summary>
public sealed class PostgresModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RequiresRootFact] // runs initdb and pg_ctl as the postgres user
    public async Task The_stores_work_on_postgresql()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var options = new DbContextOptionsBuilder<ConsoleDbContext>()
            .UseNpgsql(postgres.ConnectionString)
            .Options;
        IDbContextFactory<ConsoleDbContext> contexts = new PostgresContexts(options);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }

        var checks = new TokenCheckCache(TimeProvider.System);
        var users = new EfUserStore(contexts, checks);
        var now = DateTimeOffset.UtcNow;
        await users.CreateAsync(new UserRecord("u1", "Admin", "hash", Roles.Admin, now), default);
        await users.CreateAsync(new UserRecord("u2", "vera", "hash", Roles.Viewer, now), default);
        Assert.Equal("u1", (await users.FindByNameAsync("ADMIN", default))?.Id);
        await Assert.ThrowsAsync<InvalidOperationException>(() => users.CreateAsync(new UserRecord("u3", "admin", "hash", Roles.Viewer, now), default));
        await Assert.ThrowsAsync<LastAdminException>(() => users.DeleteAsync("u1", default));

        var tokens = new EfApiTokenStore(contexts, TimeProvider.System, checks);
        var older = await tokens.IssueAsync("u2", "first", ApiTokenKinds.Personal, now.AddDays(1), default);
        var newer = await tokens.IssueAsync("u2", "second", ApiTokenKinds.Personal, now.AddDays(1), default);
        Assert.Equal("u2", (await tokens.FindAsync(older.Token, default))?.UserId);
        Assert.Equal([newer.Id, older.Id], (await tokens.ListAsync("u2", default)).Select(t => t.Id));
        await users.DeleteAsync("u2", default);
        Assert.Null(await tokens.FindAsync(newer.Token, default));

        var audit = new AuditLog(contexts);
        await audit.WriteAsync(new AuditEntryEntity { Time = now.AddMinutes(-1), Source = "api", UserName = "Admin", Action = "POST /api/v1/users", Result = "success", StatusCode = 201 }, default);
        var first = new AuditEntryEntity { Time = now, Source = "agent", Action = "container.die", Host = "local", Result = "event", EventKey = new string('a', 64), EventTimeNano = 42 };
        Assert.True(await audit.TryWriteEventAsync(first, default));
        Assert.False(await audit.TryWriteEventAsync(new AuditEntryEntity { Time = now, Source = "agent", Action = "container.die", Host = "local", Result = "event", EventKey = new string('a', 64), EventTimeNano = 42 }, default));
        Assert.Equal(42, await audit.LastEventTimeNanoAsync("local", default));

        var page = await audit.QueryAsync(new AuditFilter(From: now.AddMinutes(-2)), 1, 10, default);
        Assert.Equal(["container.die", "POST /api/v1/users"], page.Items.Select(e => e.Action));
        Assert.Equal(now.UtcTicks, page.Items[0].Time.UtcTicks);
        Assert.Equal(1, (await audit.QueryAsync(new AuditFilter(User: "admin"), 1, 10, default)).Total);
    }

    [RequiresRootFact]
    public async Task The_server_migrates_postgresql_signs_in_audits_and_keeps_its_data_across_a_restart()
    {
        await using var postgres = await PostgresServer.StartAsync();

        await using (var server = CreateServer(postgres, "first"))
        {
            using var admin = await server.SignedInClientAsync();
            await ServerFactory.CreateUserAsync(admin, "olga", "operator");
            var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=POST%20/api/v1/users");
            var entry = Assert.Single(audit.GetProperty("items").EnumerateArray());
            Assert.Equal("admin", entry.GetProperty("user").GetString());
            Assert.Equal(201, entry.GetProperty("statusCode").GetInt32());
        }

        // PostgreSQL's migrations made the schema, not SQLite's and not EnsureCreated; nothing went to the data directory.
        Assert.Equal(
            ["20261129121536_InitialSchema", "20261129125112_LoginLockouts", "20261129140443_UserDisabled"],
            await QueryAsync(postgres.ConnectionString, "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY 1"));
        Assert.False(File.Exists(_temp.Combine("first/containerconsole.db")));

        // A second start (another data directory, the same database) finds the users and the audit log.
        await using (var again = CreateServer(postgres, "second", adminPassword: null))
        {
            using var olga = await again.SignedInClientAsync("olga", ServerFactory.UserPassword);
            var me = await olga.GetFromJsonAsync<JsonElement>("/api/v1/auth/me");
            Assert.Equal("operator", me.GetProperty("role").GetString());
            using var admin = await again.SignedInClientAsync();
            var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=POST%20/api/v1/users");
            Assert.Equal(1, audit.GetProperty("total").GetInt32());
            Assert.DoesNotContain(again.Output.Lines, line => line.Contains("Admin password", StringComparison.Ordinal));
        }
    }

    [RequiresRootFact]
    public async Task A_connection_string_naming_an_unknown_role_ends_the_start_with_exit_code_2_and_the_servers_reason()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var wrong = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Username = "nosuchrole", Password = "secret-pw" }.ToString();

        var outcome = await ServerProcess.RunToExitAsync("--data-dir", _temp.Combine("data"), "--urls", "http://127.0.0.1:0",
            "--database", "postgres", "--connection-string", wrong);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("cannot open the PostgreSQL database 'postgres'", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("role \"nosuchrole\" does not exist", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Error + outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_postgresql_server_ends_the_start_with_exit_code_2_naming_where()
    {
        var outcome = await ServerProcess.RunToExitAsync("--data-dir", _temp.Combine("data"), "--urls", "http://127.0.0.1:0",
            "--database", "postgres", "--connection-string", $"Host={_temp.Combine("no-such-dir")};Database=cc;Username=cc;Timeout=5");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains($"cannot open the PostgreSQL database 'cc' on {_temp.Combine("no-such-dir")}:5432 as cc", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Error + outcome.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("data/containerconsole.db")));
    }

    [Theory]
    [InlineData(new[] { "--database", "postgres" }, "--database postgres needs --connection-string")]
    [InlineData(new[] { "--database", "mysql" }, "--database mysql: must be sqlite or postgres")]
    [InlineData(new[] { "--database", "postgres", "--connection-string", "Hots=db;Database=cc" }, "--connection-string is not a valid PostgreSQL connection string")]
    public async Task Bad_database_settings_are_refused_with_exit_code_2(string[] args, string message)
    {
        var outcome = await ServerProcess.RunToExitAsync(["--data-dir", _temp.Combine("data"), "--urls", "http://127.0.0.1:0", .. args]);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(message, outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_help_names_the_database_settings()
    {
        Assert.Contains("--database sqlite|postgres", CommandLine.Usage, StringComparison.Ordinal);
        Assert.Contains("--connection-string CS", CommandLine.Usage, StringComparison.Ordinal);
        Assert.Equal(["--ContainerConsole:Database=postgres", "--ConnectionStrings:Console=Host=db"], CommandLine.Normalize(["--database", "postgres", "--connection-string=Host=db"]));
    }

    private ServerFactory CreateServer(PostgresServer postgres, string dataDir, string? adminPassword = ServerFactory.AdminPassword) =>
        new(_temp.Combine(dataDir), [$"unix://{_temp.Combine("missing.sock")}"], adminPassword)
        {
            Database = "postgres",
            ConnectionString = postgres.ConnectionString,
        };

    private static async Task<List<string>> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    /// <summary>Contexts of the PostgreSQL type, as the server's factory makes them.</summary>
    private sealed class PostgresContexts(DbContextOptions<ConsoleDbContext> options) : IDbContextFactory<ConsoleDbContext>
    {
        public ConsoleDbContext CreateDbContext() => DatabaseSetup.CreateContext(options, DatabaseProvider.Postgres);
    }
}
