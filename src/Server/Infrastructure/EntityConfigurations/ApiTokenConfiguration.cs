using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ContainerConsole.Server.Infrastructure.EntityConfigurations;

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiTokenEntity>
{
    public const int MaxNameLength = 100;

    public void Configure(EntityTypeBuilder<ApiTokenEntity> builder)
    {
        builder.ToTable("ApiTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(32);
        builder.Property(t => t.UserId).HasMaxLength(32);
        builder.Property(t => t.Name).HasMaxLength(MaxNameLength);
        builder.Property(t => t.Kind).HasMaxLength(16);
        builder.Property(t => t.TokenHash).HasMaxLength(64);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.HasIndex(t => t.UserId);

        // A user's tokens go with the user.
        builder.HasOne<UserEntity>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
