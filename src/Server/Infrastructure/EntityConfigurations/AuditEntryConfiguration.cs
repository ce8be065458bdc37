using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ContainerConsole.Server.Infrastructure.EntityConfigurations;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntryEntity>
{
    public const int MaxDetailsLength = 4000;

    public void Configure(EntityTypeBuilder<AuditEntryEntity> builder)
    {
        builder.ToTable("AuditEntries");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Source).HasMaxLength(16);
        builder.Property(a => a.UserId).HasMaxLength(32);
        builder.Property(a => a.UserName).HasMaxLength(UserConfiguration.MaxUserNameLength);
        builder.Property(a => a.AuthMethod).HasMaxLength(16);
        builder.Property(a => a.RemoteAddress).HasMaxLength(64);
        builder.Property(a => a.Action).HasMaxLength(256);
        builder.Property(a => a.Path).HasMaxLength(1024);
        builder.Property(a => a.Target).HasMaxLength(512);
        builder.Property(a => a.Host).HasMaxLength(HostConfiguration.MaxNameLength);
        builder.Property(a => a.Result).HasMaxLength(16);
        builder.Property(a => a.Details).HasMaxLength(MaxDetailsLength);
        builder.Property(a => a.EventKey).HasMaxLength(64); // SHA-256 hex

        builder.HasIndex(a => a.Time);
        builder.HasIndex(a => a.UserName);
        builder.HasIndex(a => new { a.Host, a.EventTimeNano });
        // Several NULLs are allowed in a unique index on SQLite and PostgreSQL alike: API entries have no key.
        builder.HasIndex(a => a.EventKey).IsUnique();
    }
}
