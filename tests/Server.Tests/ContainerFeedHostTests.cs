using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Web.Services;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Server.Tests;

/// <summary>The containers page's feed follows the host registry: hosts registered or removed while it is open.</summary>
public sealed class ContainerFeedHostTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_host_registered_while_the_feed_is_open_is_listed_and_a_removed_one_is_reported()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var admin = await server.SignedInClientAsync();
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("late.sock"));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // ends a hung test, asserts nothing
        await using var feed = server.Services.GetRequiredService<IContainerFeed>().WatchAsync(guard.Token).GetAsyncEnumerator(guard.Token);

        Assert.True(await feed.MoveNextAsync());
        Assert.True(feed.Current.IsSnapshot);
        Assert.DoesNotContain("late", feed.Current.Hosts);

        int id;
        using (var register = await admin.PostAsJsonAsync("/api/v1/hosts", new { name = "late", uri = agent.Uri }))
        {
            Assert.Equal(HttpStatusCode.Created, register.StatusCode);
            id = (await register.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        }

        var added = await NextForAsync(feed, "late");
        Assert.Equal(2, added.Containers.Count);
        Assert.All(added.Containers, c => Assert.Equal("late", c.Host));
        Assert.Empty(added.UnreachableHosts);

        using (var remove = await admin.DeleteAsync($"/api/v1/hosts/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }

        var removed = await NextForAsync(feed, "late");
        Assert.Empty(removed.Containers);
        Assert.Contains("no longer registered", Assert.Single(removed.UnreachableHosts).Error, StringComparison.Ordinal);
    }

    /// <summary>The next update about <paramref name="host"/>; the unreachable first host's polls may come between.</summary>
    private static async Task<ContainerFeedUpdate> NextForAsync(IAsyncEnumerator<ContainerFeedUpdate> feed, string host)
    {
        while (await feed.MoveNextAsync())
        {
            if (feed.Current.Hosts.Contains(host))
            {
                return feed.Current;
            }
        }

        throw new InvalidOperationException("The feed ended.");
    }
}
