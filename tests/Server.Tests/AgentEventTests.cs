using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class AgentEventTests : IDisposable
{
    /// <summary>Bound of each wait for the background recorder; a healthy run takes milliseconds.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Agent_events_are_audited_once_across_a_dropped_stream()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await WaitForAsync(() => Task.FromResult(agent.OpenEventStreams == 1), "the server opens the event stream");

        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 + 1000;
        agent.PublishEvent("container", "start", "c1", t0, new() { ["name"] = "web", ["image"] = "busybox" });
        agent.PublishEvent("container", "attach", "c1", t0 + 1); // not audited
        agent.PublishEvent("image", "pull", "busybox:latest", t0 + 2);
        await WaitForAsync(async () => (await AgentEntriesAsync(admin)).Count == 2, "two events are recorded");

        agent.DropEventStreams();
        agent.PublishEvent("container", "die", "c1", t0 + 3, new() { ["exitCode"] = "137" }); // while disconnected
        await WaitForAsync(async () => (await AgentEntriesAsync(admin)).Count >= 3, "the event sent during the drop is recorded");
        agent.PublishEvent("container", "exec_start: sh -c date", "c1", t0 + 4);
        await WaitForAsync(async () => (await AgentEntriesAsync(admin)).Count >= 4, "a live event after the reconnect is recorded");

        var entries = await AgentEntriesAsync(admin);
        Assert.Equal(["container.exec_start", "container.die", "image.pull", "container.start"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries, e =>
        {
            Assert.Equal("local", e.GetProperty("host").GetString());
            Assert.Equal("event", e.GetProperty("result").GetString());
        });
        Assert.Contains("137", entries[1].GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.Equal("c1", entries[3].GetProperty("target").GetString());
        Assert.Contains(agent.Requests, r => r.StartsWith("/events?since=", StringComparison.Ordinal));

        var byAction = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?source=agent&action=container.die&host=local");
        Assert.Equal(1, byAction.GetProperty("total").GetInt32());
    }

    private static async Task<List<JsonElement>> AgentEntriesAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?source=agent")).GetProperty("items").EnumerateArray().ToList();

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }
}
