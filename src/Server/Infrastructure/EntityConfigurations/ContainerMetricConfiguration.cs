using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ContainerConsole.Server.Infrastructure.EntityConfigurations;

internal sealed class ContainerMetricConfiguration : IEntityTypeConfiguration<ContainerMetricEntity>
{
    public void Configure(EntityTypeBuilder<ContainerMetricEntity> builder)
    {
        builder.ToTable("ContainerMetrics");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Host).HasMaxLength(HostConfiguration.MaxNameLength);
        builder.Property(m => m.ContainerId).HasMaxLength(64);
        builder.Property(m => m.ContainerName).HasMaxLength(256);

        // Graphs ask for one container's series at one resolution over a time range.
        builder.HasIndex(m => new { m.Host, m.ContainerId, m.ResolutionSeconds, m.Time });
        // Retention and rollup sweep by resolution and age across all containers.
        builder.HasIndex(m => new { m.ResolutionSeconds, m.Time });
    }
}
