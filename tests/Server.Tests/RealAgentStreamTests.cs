using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Metrics;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Server.Tests;

/// <summary>
/// The hubs and the metric history against a real ccagent running real containers (needs root and `make build`).
/// The latency and cadence bounds are the issue's requirements, measured end to end; they are generous.
/// </summary>
public sealed class RealAgentStreamTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RequiresRootFact]
    public async Task Log_lines_arrive_within_a_second_stats_every_second_and_only_an_operator_gets_a_terminal()
    {
        using var agent = await RealAgent.StartWithBusyboxAsync();
        var ticker = await agent.RunAsync("i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done", hostname: "tickerhost");
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        var viewerToken = await ServerFactory.LoginAsync(server.CreateApiClient(), "vera", ServerFactory.UserPassword);
        var adminToken = await ServerFactory.LoginAsync(server.CreateApiClient());

        // Logs: the viewer follows; each line's delay is its arrival time minus the agent's timestamp of it.
        await using (var logs = await HubClient.ConnectAsync(server, "logs", viewerToken))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var delays = new List<TimeSpan>();
            var texts = new List<string>();
            await foreach (var entry in logs.StreamAsync<LogEntry>("Follow", new LogSubscription([new ContainerRef("local", ticker)], Tail: 0), stop.Token))
            {
                delays.Add(DateTimeOffset.UtcNow - entry.Time);
                texts.Add(entry.Text);
                Assert.Equal("stdout", entry.Stream);
                if (texts.Count == 20)
                {
                    break;
                }
            }

            Assert.All(texts, t => Assert.StartsWith("line ", t, StringComparison.Ordinal));
            var numbers = texts.Select(t => int.Parse(t[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(numbers[0], 20), numbers); // in order, none lost
            Assert.True(delays.Max() < TimeSpan.FromSeconds(1), $"log delays: {string.Join(", ", delays.Select(d => d.TotalMilliseconds.ToString("0")))} ms");
        }

        // Stats: the viewer gets a sample about every second.
        await using (var stats = await HubClient.ConnectAsync(server, "stats", viewerToken))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var arrivals = new List<TimeSpan>();
            var clock = Stopwatch.StartNew();
            ContainerSample? last = null;
            await foreach (var sample in stats.StreamAsync<ContainerSample>("Stream", "local", ticker, stop.Token))
            {
                arrivals.Add(clock.Elapsed);
                last = sample;
                if (arrivals.Count == 5)
                {
                    break;
                }
            }

            var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => b - a).ToList();
            Assert.True(gaps.All(g => g > TimeSpan.FromSeconds(0.5) && g < TimeSpan.FromSeconds(2)), $"stats gaps: {string.Join(", ", gaps.Select(g => g.TotalMilliseconds.ToString("0")))} ms");
            Assert.NotNull(last);
            Assert.True(last.MemoryBytes > 0);
            Assert.True(last.CpuSeconds > 0);
        }

        // Terminal: refused to the viewer, given to the admin (operator and up).
        await using (var viewerTerminal = await HubClient.ConnectAsync(server, "terminal", viewerToken))
        {
            var refused = await Assert.ThrowsAsync<HubException>(async () =>
            {
                await foreach (var _ in viewerTerminal.StreamAsync<string>("Open", "local", ticker, new TerminalOptions(["hostname"]), NoInput()))
                {
                }
            });
            Assert.Contains("unauthorized", refused.Message, StringComparison.OrdinalIgnoreCase);
        }

        await using (var terminal = await HubClient.ConnectAsync(server, "terminal", adminToken))
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var output = "";
            await foreach (var chunk in terminal.StreamAsync<string>("Open", "local", ticker, new TerminalOptions(["hostname"], 100, 30), NoInput(), stop.Token))
            {
                output += chunk;
            }

            Assert.Contains("tickerhost", output, StringComparison.Ordinal);

            // An interactive shell: keystrokes in, a resize, output out; leaving the shell ends the stream.
            var input = System.Threading.Channels.Channel.CreateUnbounded<TerminalInput>();
            var shell = "";
            await input.Writer.WriteAsync(new TerminalInput(Columns: 132, Rows: 40));
            await input.Writer.WriteAsync(new TerminalInput("echo sum=$((40+2)); exit\n"));
            await foreach (var chunk in terminal.StreamAsync<string>("Open", "local", ticker, new TerminalOptions(["sh"]), input.Reader.ReadAllAsync(), stop.Token))
            {
                shell += chunk;
            }

            input.Writer.Complete();
            Assert.Contains("sum=42", shell, StringComparison.Ordinal);
        }
    }

    [RequiresRootFact]
    public async Task Metric_history_survives_a_server_restart_and_rolls_up_into_minutes()
    {
        using var agent = await RealAgent.StartWithBusyboxAsync();
        var sleeper = await agent.RunAsync("while true; do sleep 1; done");
        var data = _temp.Combine("data");
        await using (var server = new ServerFactory(data, [$"local={agent.Uri}"]))
        {
            using var admin = await server.SignedInClientAsync();
            var sampler = server.Services.GetRequiredService<MetricSampler>();
            Assert.True(await sampler.SampleOnceAsync(CancellationToken.None) >= 1);
            Assert.True(await sampler.SampleOnceAsync(CancellationToken.None) >= 1);
        }

        await using (var restarted = new ServerFactory(data, [$"local={agent.Uri}"]))
        {
            using var admin = await restarted.SignedInClientAsync();
            var fine = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/hosts/local/containers/{sleeper}/metrics?resolution=10s");
            var points = fine.GetProperty("points").EnumerateArray().ToList();
            Assert.True(points.Count >= 2, fine.GetRawText());
            Assert.All(points, p => Assert.True(p.GetProperty("memoryBytes").GetInt64() > 0));

            var later = DateTimeOffset.UtcNow.AddMinutes(2);
            Assert.True(await restarted.Services.GetRequiredService<MetricRollup>().RunOnceAsync(later, CancellationToken.None) >= 1);
            var coarse = await admin.GetFromJsonAsync<JsonElement>(
                $"/api/v1/hosts/local/containers/{sleeper[..12]}/metrics?resolution=1m&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(later.ToString("O"))}");
            var minute = Assert.Single(coarse.GetProperty("points").EnumerateArray());
            Assert.True(minute.GetProperty("memoryBytes").GetInt64() > 0);
            Assert.Equal(sleeper, coarse.GetProperty("container").GetString());
        }
    }

    private static async IAsyncEnumerable<TerminalInput> NoInput()
    {
        await Task.Yield();
        yield break;
    }
}
