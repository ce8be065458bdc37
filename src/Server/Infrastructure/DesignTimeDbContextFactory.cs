using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ContainerConsole.Server.Infrastructure;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the server.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ConsoleDbContext>
{
    public ConsoleDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ConsoleDbContext>()
            .UseSqlite(DatabaseSetup.ConnectionString(Path.Combine(Path.GetTempPath(), "containerconsole-design.db")))
            .Options);
}
