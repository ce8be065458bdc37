using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ContainerConsole.Server.Infrastructure;

/// <summary>Lets <c>dotnet dotnet-ef migrations add NAME --context ConsoleDbContext</c> build the SQLite model without starting the server.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ConsoleDbContext>
{
    public ConsoleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ConsoleDbContext>()
            .UseSqlite(DatabaseSetup.ConnectionString(Path.Combine(Path.GetTempPath(), "containerconsole-design.db")))
            .Options);
}

/// <summary>
/// The same for PostgreSQL (<c>--context PostgresConsoleDbContext</c>). Adding a migration does not connect; the
/// connection string only tells Npgsql what to generate for.
/// </summary>
internal sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgresConsoleDbContext>
{
    public PostgresConsoleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ConsoleDbContext>()
            .UseNpgsql("Host=localhost;Database=containerconsole")
            .Options);
}
