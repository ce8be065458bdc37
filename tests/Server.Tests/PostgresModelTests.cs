using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Server.Users;
using ContainerConsole.Tests;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace ContainerConsole.Server.Tests;

/// <summary>
/// The EF model on a real PostgreSQL server: the schema is created from the model (the committed migrations are
/// SQLite's) and the stores' queries run there — case-insensitive names, ordering by time, the unique event key.
/// </summary>
public sealed class PostgresModelTests
{
    [RequiresRootFact] // runs initdb and pg_ctl as the postgres user
    public async Task The_stores_work_on_postgresql()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var options = new DbContextOptionsBuilder<ConsoleDbContext>()
            .UseNpgsql(postgres.ConnectionString)
            .Options;
        var contexts = new PooledDbContextFactory<ConsoleDbContext>(options);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.True(await db.Database.EnsureCreatedAsync());
        }

        var users = new EfUserStore(contexts);
        var now = DateTimeOffset.UtcNow;
        await users.CreateAsync(new UserRecord("u1", "Admin", "hash", Roles.Admin, now), default);
        await users.CreateAsync(new UserRecord("u2", "vera", "hash", Roles.Viewer, now), default);
        Assert.Equal("u1", (await users.FindByNameAsync("ADMIN", default))?.Id);
        await Assert.ThrowsAsync<InvalidOperationException>(() => users.CreateAsync(new UserRecord("u3", "admin", "hash", Roles.Viewer, now), default));
        await Assert.ThrowsAsync<LastAdminException>(() => users.DeleteAsync("u1", default));

        var tokens = new EfApiTokenStore(contexts, TimeProvider.System);
        var older = await tokens.IssueAsync("u2", "first", ApiTokenKinds.Personal, now.AddDays(1), default);
        var newer = await tokens.IssueAsync("u2", "second", ApiTokenKinds.Personal, now.AddDays(1), default);
        Assert.Equal("u2", (await tokens.FindAsync(older.Token, default))?.UserId);
        Assert.Equal([newer.Id, older.Id], (await tokens.ListAsync("u2", default)).Select(t => t.Id));
        await users.DeleteAsync("u2", default);
        Assert.Null(await tokens.FindAsync(newer.Token, default));

        var audit = new AuditLog(contexts);
        await audit.WriteAsync(new AuditEntryEntity { Time = now.AddMinutes(-1), Source = "api", UserName = "Admin", Action = "POST /api/v1/users", Result = "success", StatusCode = 201 }, default);
        var first = new AuditEntryEntity { Time = now, Source = "agent", Action = "container.die", Host = "local", Result = "event", EventKey = new string('a', 64), EventTimeNano = 42 };
        Assert.True(await audit.TryWriteEventAsync(first, default));
        Assert.False(await audit.TryWriteEventAsync(new AuditEntryEntity { Time = now, Source = "agent", Action = "container.die", Host = "local", Result = "event", EventKey = new string('a', 64), EventTimeNano = 42 }, default));
        Assert.Equal(42, await audit.LastEventTimeNanoAsync("local", default));

        var page = await audit.QueryAsync(new AuditFilter(From: now.AddMinutes(-2)), 1, 10, default);
        Assert.Equal(["container.die", "POST /api/v1/users"], page.Items.Select(e => e.Action));
        Assert.Equal(now.UtcTicks, page.Items[0].Time.UtcTicks);
        Assert.Equal(1, (await audit.QueryAsync(new AuditFilter(User: "admin"), 1, 10, default)).Total);
    }
}
