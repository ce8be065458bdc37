using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.Infrastructure;

/// <summary>
/// The same model on PostgreSQL. A type of its own only because EF ties a migration set to a context type:
/// its migrations are in <c>Migrations/Postgres/</c> (<c>dotnet dotnet-ef migrations add NAME --context PostgresConsoleDbContext
/// --output-dir Infrastructure/Migrations/Postgres</c>).
/// </summary>
public sealed class PostgresConsoleDbContext(DbContextOptions options) : ConsoleDbContext(options);
