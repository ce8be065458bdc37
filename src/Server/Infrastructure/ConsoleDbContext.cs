using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.Infrastructure;

/// <summary>
/// The server's database: users, API tokens, hosts, the audit log, metric history and sign-in lockouts. SQLite by default;
/// the model keeps to what PostgreSQL also has (declared string lengths, DateTimeOffset as UTC ticks, no provider-specific types).
/// This type owns the SQLite migrations (<c>Migrations/</c>); <see cref="PostgresConsoleDbContext"/> owns PostgreSQL's.
/// </summary>
public class ConsoleDbContext : DbContext
{
    public ConsoleDbContext(DbContextOptions<ConsoleDbContext> options)
        : base(options)
    {
    }

    /// <summary>For a provider's subclass: options of <see cref="ConsoleDbContext"/> suit it too.</summary>
    protected ConsoleDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<UserEntity> Users => Set<UserEntity>();

    public DbSet<ApiTokenEntity> ApiTokens => Set<ApiTokenEntity>();

    public DbSet<HostEntity> Hosts => Set<HostEntity>();

    public DbSet<AuditEntryEntity> AuditEntries => Set<AuditEntryEntity>();

    public DbSet<ContainerMetricEntity> ContainerMetrics => Set<ContainerMetricEntity>();

    public DbSet<LoginLockoutEntity> LoginLockouts => Set<LoginLockoutEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ConsoleDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }
}
