using System.Threading.Channels;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.AspNetCore.SignalR.Client;

namespace ContainerConsole.Server.Tests;

/// <summary><c>/hubs/events</c> end to end: a real ccagent's container events reach a SignalR client (needs root and `make build`).</summary>
public sealed class RealAgentEventsHubTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RequiresRootFact]
    public async Task A_viewer_subscribed_to_container_events_sees_a_container_start_and_die_with_its_exit_code()
    {
        using var agent = await RealAgent.StartWithBusyboxAsync();
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        var token = await ServerFactory.LoginAsync(server.CreateApiClient(), "vera", ServerFactory.UserPassword);
        await using var hub = await HubClient.ConnectAsync(server, "events", token);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var received = Channel.CreateUnbounded<HostEvent>();
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in hub.StreamAsync<HostEvent>("Stream", new EventFilter(Hosts: ["local"], Types: ["container"]), stop.Token))
                {
                    await received.Writer.WriteAsync(message);
                }
            }
            finally
            {
                received.Writer.TryComplete();
            }
        });

        // The server opens the agent's event stream when the first subscriber comes, from "now": short-lived
        // containers until one's events arrive show the stream is up, whatever its start-up takes.
        var warmups = new HashSet<string>();
        while (true)
        {
            warmups.Add(await agent.RunAsync("true"));
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                var first = await received.Reader.ReadAsync(wait.Token);
                Assert.Contains(first.ActorId ?? "", warmups);
                break;
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
            }
        }

        var id = await agent.RunAsync("sleep 0.2; exit 3");
        var seen = new List<HostEvent>();
        await foreach (var message in received.Reader.ReadAllAsync(stop.Token))
        {
            Assert.Equal("local", message.Host);
            Assert.Equal("container", message.Type);
            if (message.ActorId == id)
            {
                seen.Add(message);
                if (message.Action == "die")
                {
                    break;
                }
            }
        }

        var actions = seen.Select(e => e.Action).ToList();
        Assert.Contains("start", actions);
        Assert.True(actions.IndexOf("start") < actions.IndexOf("die"), string.Join(", ", actions));
        var die = seen[^1];
        Assert.Equal("3", die.Attributes["exitCode"]);
        Assert.Equal(RealAgent.Image, die.Attributes["image"]);
        Assert.True(die.TimeNano > 0);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader);
    }
}
