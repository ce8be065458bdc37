using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ContainerConsole.Server.Infrastructure.EntityConfigurations;

internal sealed class LoginLockoutConfiguration : IEntityTypeConfiguration<LoginLockoutEntity>
{
    /// <summary>The longest name a sign-in accepts (<see cref="Apis.AuthApi"/>): unknown names are tracked too.</summary>
    public const int MaxUserNameLength = 256;

    public void Configure(EntityTypeBuilder<LoginLockoutEntity> builder)
    {
        builder.ToTable("LoginLockouts");
        builder.HasKey(l => l.NormalizedUserName);
        builder.Property(l => l.NormalizedUserName).HasMaxLength(MaxUserNameLength);

        // Stale rows are pruned by age.
        builder.HasIndex(l => l.WindowStart);
    }
}
