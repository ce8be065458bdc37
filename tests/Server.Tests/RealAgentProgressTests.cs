using System.Formats.Tar;
using System.Net;
using System.Text;
using System.Text.Json;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace ContainerConsole.Server.Tests;

/// <summary>Load and build through <c>/hubs/progress</c> against a real ccagent (needs root and `make build`).</summary>
public sealed class RealAgentProgressTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RequiresRootFact]
    public async Task An_operator_loads_an_archive_and_builds_a_Dockerfile_through_the_hub_and_bad_input_is_named()
    {
        using var agent = await RealAgent.StartWithBusyboxAsync();
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        var token = await ServerFactory.LoginAsync(server.CreateApiClient());
        await using var hub = await HubClient.ConnectAsync(server, "progress", token);

        // Load: the archive goes up in chunks; the agent's output comes back, and the image is there.
        var loaded = await CollectAsync(hub.StreamAsync<ProgressMessage>("Load", "local", Chunks(RealAgent.BusyboxArchive("hubloaded:1", "via-hub"))));
        Assert.All(loaded, m => Assert.Null(m.Error));
        Assert.Contains(loaded, m => m.Stream == "Loaded image: hubloaded:1");
        using (var inspect = await agent.Http.GetAsync("images/hubloaded:1/json"))
        {
            Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
        }

        // Not a tar: the agent's reason is the last message; the connection stays usable.
        var garbage = await CollectAsync(hub.StreamAsync<ProgressMessage>("Load", "local", Chunks(Encoding.UTF8.GetBytes(new string('x', 5000)))));
        Assert.Contains("not a valid tar", Assert.Single(garbage).Error, StringComparison.Ordinal);

        // Build: two steps with a build argument; the step lines, the RUN output and the image id come back.
        var context = Context("FROM " + RealAgent.Image + "\nARG GREETING\nRUN echo \"said $GREETING\" > /greeting && cat /greeting\n");
        var built = await CollectAsync(hub.StreamAsync<ProgressMessage>("Build", "local",
            new BuildOptions(Tags: ["hubbuilt:1"], BuildArgs: new Dictionary<string, string?> { ["GREETING"] = "hello" }, NoCache: true), Chunks(context)));
        Assert.All(built, m => Assert.Null(m.Error));
        var lines = built.Where(m => m.Stream is not null).Select(m => m.Stream!).ToList();
        Assert.Contains("Step 1/3 : FROM " + RealAgent.Image, lines);
        Assert.Contains(lines, l => l.StartsWith("Step 3/3 : RUN echo", StringComparison.Ordinal));
        Assert.Contains("said hello", lines);
        var imageId = built.Last(m => m.ImageId is not null).ImageId;
        using (var inspect = await agent.Http.GetAsync("images/hubbuilt:1/json"))
        {
            Assert.Equal(HttpStatusCode.OK, inspect.StatusCode);
            Assert.Equal(imageId, JsonDocument.Parse(await inspect.Content.ReadAsStringAsync()).RootElement.GetProperty("Id").GetString());
        }

        // The REST build shares the hub's options (tags, build arguments).
        using (var admin = await server.SignedInClientAsync())
        {
            using var body = new ByteArrayContent(context);
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            var query = "?t=restbuilt:1&nocache=true&buildargs=" + Uri.EscapeDataString("{\"GREETING\":\"rest\"}");
            using var rest = await admin.PostAsync("/api/v1/hosts/local/images/build" + query, body);
            var summary = await rest.Content.ReadAsStringAsync();
            Assert.True(rest.IsSuccessStatusCode, summary);
            Assert.Contains("said rest", summary, StringComparison.Ordinal);
            using var again = new ByteArrayContent(context);
            again.Headers.ContentType = body.Headers.ContentType;
            using var badArgs = await admin.PostAsync("/api/v1/hosts/local/images/build?buildargs=" + Uri.EscapeDataString("[1]"), again);
            Assert.Equal(HttpStatusCode.BadRequest, badArgs.StatusCode);
            Assert.Contains("buildargs", await badArgs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A malformed Dockerfile: the error names the line and the instruction.
        var malformed = await CollectAsync(hub.StreamAsync<ProgressMessage>("Build", "local", new BuildOptions(Tags: ["hubbroken:1"]),
            Chunks(Context("FROM " + RealAgent.Image + "\nFROBNICATE now\n"))));
        var error = Assert.Single(malformed).Error;
        Assert.NotNull(error);
        Assert.Contains("FROBNICATE", error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Dockerfile:2", error, StringComparison.Ordinal);
        using (var inspect = await agent.Http.GetAsync("images/hubbroken:1/json"))
        {
            Assert.Equal(HttpStatusCode.NotFound, inspect.StatusCode);
        }

        // Bad options never reach the agent.
        var badTag = await Assert.ThrowsAsync<HubException>(() => CollectAsync(hub.StreamAsync<ProgressMessage>("Build", "local",
            new BuildOptions(Tags: ["Not A Tag"]), Chunks(context))));
        Assert.Contains("Not A Tag", badTag.Message, StringComparison.Ordinal);
    }

    [RequiresRootFact]
    public async Task A_viewer_may_neither_load_nor_build()
    {
        using var agent = await RealAgent.StartAsync();
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        var token = await ServerFactory.LoginAsync(server.CreateApiClient(), "vera", ServerFactory.UserPassword);
        await using var hub = await HubClient.ConnectAsync(server, "progress", token);

        var load = await Assert.ThrowsAsync<HubException>(() => CollectAsync(hub.StreamAsync<ProgressMessage>("Load", "local", Chunks(RealAgent.BusyboxArchive("viewerload:1")))));
        Assert.Contains("unauthorized", load.Message, StringComparison.OrdinalIgnoreCase);
        var build = await Assert.ThrowsAsync<HubException>(() => CollectAsync(hub.StreamAsync<ProgressMessage>("Build", "local", new BuildOptions(), Chunks(Context("FROM scratch\n")))));
        Assert.Contains("unauthorized", build.Message, StringComparison.OrdinalIgnoreCase);

        using var images = await agent.Http.GetAsync("images/viewerload:1/json");
        Assert.Equal(HttpStatusCode.NotFound, images.StatusCode);
    }

    private static async Task<List<ProgressMessage>> CollectAsync(IAsyncEnumerable<ProgressMessage> stream)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var messages = new List<ProgressMessage>();
        await foreach (var message in stream.WithCancellation(stop.Token))
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>The upload as a client streams it: chunks no larger than the hub takes.</summary>
    private static async IAsyncEnumerable<byte[]> Chunks(byte[] data)
    {
        for (var offset = 0; offset < data.Length; offset += ProgressHub.MaxChunkBytes)
        {
            await Task.Yield();
            yield return data[offset..Math.Min(data.Length, offset + ProgressHub.MaxChunkBytes)];
        }
    }

    private static byte[] Context(string dockerfile)
    {
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)) });
        }

        return ms.ToArray();
    }
}
