using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ContainerConsole.Server.Infrastructure.EntityConfigurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<UserEntity>
{
    public const int MaxUserNameLength = 64;

    public void Configure(EntityTypeBuilder<UserEntity> builder)
    {
        builder.ToTable("Users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(32);
        builder.Property(u => u.UserName).HasMaxLength(MaxUserNameLength);
        builder.Property(u => u.NormalizedUserName).HasMaxLength(MaxUserNameLength);
        builder.HasIndex(u => u.NormalizedUserName).IsUnique();
        builder.Property(u => u.PasswordHash).HasMaxLength(256);
        builder.Property(u => u.Role).HasMaxLength(16);
    }
}
