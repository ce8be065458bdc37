using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ContainerConsole.Server.Infrastructure.EntityConfigurations;

internal sealed class HostConfiguration : IEntityTypeConfiguration<HostEntity>
{
    public const int MaxNameLength = 128;
    public const int MaxPathLength = 1024;

    public void Configure(EntityTypeBuilder<HostEntity> builder)
    {
        builder.ToTable("Hosts");
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Name).HasMaxLength(MaxNameLength);
        builder.HasIndex(h => h.Name).IsUnique();
        builder.Property(h => h.Uri).HasMaxLength(MaxPathLength);
        builder.Property(h => h.TlsCaCertPath).HasMaxLength(MaxPathLength);
        builder.Property(h => h.TlsCertPath).HasMaxLength(MaxPathLength);
        builder.Property(h => h.TlsKeyPath).HasMaxLength(MaxPathLength);
    }
}
