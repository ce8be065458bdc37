using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ContainerConsole.Server.Tests;

/// <summary>Terminal sessions in the audit log, against a real ccagent (needs root and `make build`).</summary>
public sealed class RealAgentTerminalAuditTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RequiresRootFact]
    public async Task Opening_and_ending_a_terminal_is_audited_with_who_where_what_and_how_long_and_a_failed_open_too()
    {
        using var agent = await RealAgent.StartWithBusyboxAsync();
        var sleeper = await agent.RunAsync("while true; do sleep 1; done");
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "olga", "operator");
        var token = await ServerFactory.LoginAsync(server.CreateApiClient(), "olga", ServerFactory.UserPassword);

        await using (var terminal = await HubClient.ConnectAsync(server, "terminal", token))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var output = "";
            await foreach (var chunk in terminal.StreamAsync<string>("Open", "local", sleeper, new TerminalOptions(["sh", "-c", "sleep 0.3; echo done-here"]), NoInput(), stop.Token))
            {
                output += chunk;
            }

            Assert.Contains("done-here", output, StringComparison.Ordinal);

            var failed = await Assert.ThrowsAsync<HubException>(async () =>
            {
                await foreach (var _ in terminal.StreamAsync<string>("Open", "local", "no-such-container", new TerminalOptions(["sh"]), NoInput(), stop.Token))
                {
                }
            });
            Assert.Contains("no-such-container", failed.Message, StringComparison.Ordinal);
        }

        var entries = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=terminal.")).GetProperty("items").EnumerateArray()
            .OrderBy(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(["terminal.open", "terminal.close", "terminal.open"], entries.Select(e => e.GetProperty("action").GetString()));
        var (open, close, refused) = (entries[0], entries[1], entries[2]);
        foreach (var entry in entries)
        {
            Assert.Equal("olga", entry.GetProperty("user").GetString());
            Assert.Equal("token", entry.GetProperty("authMethod").GetString());
            Assert.False(string.IsNullOrEmpty(entry.GetProperty("remoteAddress").GetString()));
            Assert.Equal("local", entry.GetProperty("host").GetString());
            Assert.Equal("/hubs/terminal", entry.GetProperty("path").GetString());
        }

        Assert.Equal(sleeper, open.GetProperty("target").GetString());
        Assert.Equal("success", open.GetProperty("result").GetString());
        var details = JsonDocument.Parse(open.GetProperty("details").GetString()!).RootElement;
        Assert.Equal(["sh", "-c", "sleep 0.3; echo done-here"], details.GetProperty("command").EnumerateArray().Select(c => c.GetString()));
        Assert.False(string.IsNullOrEmpty(details.GetProperty("execId").GetString()));

        Assert.Equal(sleeper, close.GetProperty("target").GetString());
        Assert.Equal(details.GetProperty("execId").GetString(), JsonDocument.Parse(close.GetProperty("details").GetString()!).RootElement.GetProperty("execId").GetString());
        Assert.True(close.GetProperty("durationMs").GetDouble() >= 300, close.GetRawText()); // the command slept 0.3 s

        Assert.Equal("no-such-container", refused.GetProperty("target").GetString());
        Assert.Equal("failed", refused.GetProperty("result").GetString());
        Assert.Contains("no-such-container", refused.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    private static async IAsyncEnumerable<TerminalInput> NoInput()
    {
        await Task.Yield();
        yield break;
    }
}
