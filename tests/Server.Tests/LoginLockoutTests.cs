using System.Net;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Tests;

/// <summary>The sign-in lockout, kept in the database: its rules on SQLite and PostgreSQL, and a lock outliving a restart.</summary>
public sealed class LoginLockoutTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ManualTime _time = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Five_failures_within_the_window_lock_for_five_minutes()
    {
        var throttle = await SqliteThrottleAsync();
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(await throttle.RecordFailureAsync("admin", default));
            _time.Advance(TimeSpan.FromSeconds(30));
        }

        var until = await throttle.RecordFailureAsync("ADMIN", default);

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), until);
        Assert.Equal(until, await throttle.LockedUntilAsync(" Admin ", default));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await throttle.LockedUntilAsync("admin", default));
    }

    [Fact]
    public async Task Failures_older_than_the_window_do_not_count()
    {
        var throttle = await SqliteThrottleAsync();
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(await throttle.RecordFailureAsync("admin", default));
        }

        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Null(await throttle.RecordFailureAsync("admin", default));
        Assert.Null(await throttle.LockedUntilAsync("admin", default));
    }

    [Fact]
    public async Task A_success_clears_the_failures()
    {
        var throttle = await SqliteThrottleAsync();
        for (var i = 0; i < 4; i++)
        {
            await throttle.RecordFailureAsync("admin", default);
        }

        await throttle.RecordSuccessAsync("admin", default);

        Assert.Null(await throttle.RecordFailureAsync("admin", default));
    }

    [Fact]
    public async Task Stale_names_are_pruned_but_a_live_lock_is_kept()
    {
        var contexts = await SqliteContextsAsync();
        var throttle = new LoginThrottle(contexts, Options.Create(new ServerOptions { LockoutDuration = TimeSpan.FromMinutes(30) }), _time);
        for (var i = 0; i < 5; i++)
        {
            await throttle.RecordFailureAsync("locked", default);
        }

        await throttle.RecordFailureAsync("random-1", default);
        await throttle.RecordFailureAsync("random-2", default);
        _time.Advance(TimeSpan.FromMinutes(5));
        await throttle.RecordFailureAsync("random-3", default);

        Assert.NotNull(await throttle.LockedUntilAsync("locked", default));
        await using var db = await contexts.CreateDbContextAsync();
        Assert.Equal(["LOCKED", "RANDOM-3"], await db.LoginLockouts.Select(l => l.NormalizedUserName).OrderBy(n => n).ToListAsync());
    }

    [Fact]
    public async Task A_locked_out_user_is_still_locked_out_after_a_restart()
    {
        var data = _temp.Combine("data");
        await using (var server = new ServerFactory(data, [$"unix://{_temp.Combine("missing.sock")}"]) { Time = _time })
        {
            using var client = server.CreateApiClient();
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                using var failure = await ServerFactory.PostLoginAsync(client, "admin", $"wrong {attempt}");
                Assert.Equal(attempt < 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, failure.StatusCode);
            }
        }

        await using (var restarted = new ServerFactory(data, [$"unix://{_temp.Combine("missing.sock")}"]) { Time = _time })
        {
            using var client = restarted.CreateApiClient();
            using (var locked = await ServerFactory.PostLoginAsync(client, "admin", ServerFactory.AdminPassword))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
                Assert.InRange(locked.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
            }

            _time.Advance(TimeSpan.FromMinutes(5));
            using var signedIn = await ServerFactory.PostLoginAsync(client, "admin", ServerFactory.AdminPassword);
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        }
    }

    [RequiresRootFact] // runs initdb and pg_ctl as the postgres user
    public async Task The_lockout_works_on_postgresql()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var contexts = new PooledDbContextFactory<ConsoleDbContext>(new DbContextOptionsBuilder<ConsoleDbContext>().UseNpgsql(postgres.ConnectionString).Options);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.True(await db.Database.EnsureCreatedAsync());
        }

        var throttle = new LoginThrottle(contexts, Options.Create(new ServerOptions()), _time);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(await throttle.RecordFailureAsync("vera", default));
        }

        var until = await throttle.RecordFailureAsync("Vera", default);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), until);
        Assert.Equal(until, await throttle.LockedUntilAsync("VERA", default));
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await throttle.RecordFailureAsync("other", default)); // prunes vera's finished lock
        Assert.Null(await throttle.LockedUntilAsync("vera", default));
        await throttle.RecordSuccessAsync("other", default);
        await using (var db = await contexts.CreateDbContextAsync())
        {
            Assert.Empty(await db.LoginLockouts.ToListAsync());
        }
    }

    private async Task<LoginThrottle> SqliteThrottleAsync() =>
        new(await SqliteContextsAsync(), Options.Create(new ServerOptions()), _time);

    /// <summary>A migrated SQLite database of its own, as the server creates it.</summary>
    private async Task<IDbContextFactory<ConsoleDbContext>> SqliteContextsAsync()
    {
        var options = new DbContextOptionsBuilder<ConsoleDbContext>()
            .UseSqlite(DatabaseSetup.ConnectionString(_temp.Combine($"throttle-{Guid.NewGuid():N}.db")))
            .Options;
        var contexts = new PooledDbContextFactory<ConsoleDbContext>(options);
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        return contexts;
    }
}
