using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;

namespace ContainerConsole.Server.Tests;

/// <summary>Containers, images, volumes and networks through the server against a real ccagent (root, <c>make build</c>).</summary>
public sealed class RealAgentApiTests : IAsyncLifetime
{
    // Exits on SIGTERM within a second, so a stop need not wait for the kill.
    private static readonly string[] Loop = ["sh", "-c", "echo hello from $NAME; trap 'exit 0' TERM; while true; do sleep 1; done"];

    private readonly TempDirectory _temp = new();
    private RealAgent? _agent;
    private ServerFactory? _server;
    private HttpClient? _client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _agent?.Dispose();
        _temp.Dispose();
    }

    private async Task<HttpClient> StartAsync()
    {
        _agent = await RealAgent.StartAsync();
        await _agent.LoadBusyboxAsync("cctest/busybox:1", "one");
        _server = new ServerFactory(_temp.Combine("data"), [$"local={_agent.Uri}"]);
        _client = await _server.SignedInClientAsync();
        return _client;
    }

    [RequiresRootFact]
    public async Task A_container_runs_is_listed_stops_and_is_removed_through_the_server()
    {
        var client = await StartAsync();

        using (var created = await client.PostAsJsonAsync("/api/v1/hosts/local/containers?start=true", new
        {
            image = "cctest/busybox:1",
            name = "web1",
            cmd = Loop,
            env = new Dictionary<string, string> { ["NAME"] = "web1" },
            labels = new Dictionary<string, string> { ["team"] = "blue" },
            memory = "64m",
            pidsLimit = 100,
            restartPolicy = "on-failure:2",
        }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        var listed = Assert.Single(await ContainersAsync(client, "?host=local&name=web1"));
        Assert.Equal("local", listed.GetProperty("host").GetString());
        Assert.Equal("running", listed.GetProperty("state").GetString());
        Assert.Single(await ContainersAsync(client, "?label=team=blue"));
        Assert.Empty(await ContainersAsync(client, "?label=team=red"));
        Assert.Empty(await ContainersAsync(client, "?state=exited"));

        var inspect = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/containers/web1");
        Assert.Equal(64L * 1024 * 1024, inspect.GetProperty("HostConfig").GetProperty("Memory").GetInt64());
        Assert.Equal(100, inspect.GetProperty("HostConfig").GetProperty("PidsLimit").GetInt64());
        Assert.Equal("on-failure", inspect.GetProperty("HostConfig").GetProperty("RestartPolicy").GetProperty("Name").GetString());
        Assert.Contains("NAME=web1", inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));

        // The echo comes right after start; allow the container a moment to print it.
        var lines = new List<string>();
        for (var attempt = 0; attempt < 50 && !lines.Contains("hello from web1"); attempt++)
        {
            await Task.Delay(100);
            var logs = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/containers/web1/logs?tail=10");
            lines = [.. logs.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()!)];
        }

        Assert.Contains("hello from web1", lines);

        using (var stopped = await client.PostAsync("/api/v1/hosts/local/containers/web1/stop?t=5", null))
        {
            Assert.True(stopped.StatusCode == HttpStatusCode.NoContent, await stopped.Content.ReadAsStringAsync());
        }

        Assert.Equal("exited", Assert.Single(await ContainersAsync(client, "?name=web1")).GetProperty("state").GetString());

        using (var removed = await client.DeleteAsync("/api/v1/hosts/local/containers/web1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        Assert.Empty(await ContainersAsync(client, "?name=web1"));
        using var gone = await client.GetAsync("/api/v1/hosts/local/containers/web1");
        var problem = await ProblemAsync(gone, HttpStatusCode.NotFound);
        Assert.Contains("web1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [RequiresRootFact]
    public async Task The_desired_state_put_does_nothing_when_nothing_changed_and_recreates_when_the_image_changed()
    {
        var client = await StartAsync();

        // The second image arrives through the server's load, streamed to the agent.
        using (var archive = new ByteArrayContent(RealAgent.BusyboxArchive("cctest/app:v2", "two")))
        {
            archive.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            using var loaded = await client.PostAsync("/api/v1/hosts/local/images/load", archive);
            var text = await loaded.Content.ReadAsStringAsync();
            Assert.True(loaded.IsSuccessStatusCode, text);
            Assert.Contains("cctest/app:v2", text, StringComparison.Ordinal);
        }

        await TagAsync(client, "cctest/busybox:1", "cctest/app", "current");
        var desired = new { image = "cctest/app:current", cmd = Loop, env = new Dictionary<string, string> { ["NAME"] = "svc" } };

        var created = await PutAsync(client, "svc", desired, HttpStatusCode.Created);
        Assert.Equal("created", created.GetProperty("action").GetString());
        var firstId = created.GetProperty("id").GetString()!;

        var same = await PutAsync(client, "svc", desired, HttpStatusCode.OK);
        Assert.False(same.GetProperty("changed").GetBoolean(), same.ToString());
        Assert.Equal(firstId, same.GetProperty("id").GetString());

        // A setting the agent refuses (no such network) fails before the old container is touched.
        using (var badNetwork = await client.PutAsJsonAsync("/api/v1/hosts/local/containers/svc", new
        {
            desired.image,
            desired.cmd,
            desired.env,
            networks = new[] { new { name = "no-such-network" } },
        }))
        {
            // dockerd says 404, ccagent 400: either way a client error naming the network.
            var problem = await ProblemAsync(badNetwork, badNetwork.StatusCode == HttpStatusCode.NotFound ? HttpStatusCode.NotFound : HttpStatusCode.BadRequest);
            Assert.Contains("no-such-network", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var survivor = Assert.Single(await ContainersAsync(client, "?name=svc"));
        Assert.Equal(firstId, survivor.GetProperty("id").GetString());
        Assert.Equal("running", survivor.GetProperty("state").GetString());

        // The reference now names another image: the PUT recreates, and says why.
        await TagAsync(client, "cctest/app:v2", "cctest/app", "current");
        var recreated = await PutAsync(client, "svc", desired, HttpStatusCode.OK);
        Assert.Equal("recreated", recreated.GetProperty("action").GetString());
        Assert.Equal(["imageId"], recreated.GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
        var secondId = recreated.GetProperty("id").GetString()!;
        Assert.NotEqual(firstId, secondId);
        var v2 = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/images/cctest/app:v2");
        Assert.Equal(v2.GetProperty("Id").GetString(), recreated.GetProperty("imageId").GetString());
        var inspect = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/containers/svc");
        Assert.Equal(secondId, inspect.GetProperty("Id").GetString());
        Assert.True(inspect.GetProperty("State").GetProperty("Running").GetBoolean());
        var all = await ContainersAsync(client, "?host=local");
        Assert.Equal([secondId], all.Select(c => c.GetProperty("id").GetString()));

        // A changed setting is named.
        var envChanged = await PutAsync(client, "svc", desired with { env = new Dictionary<string, string> { ["NAME"] = "svc2" } }, HttpStatusCode.OK);
        Assert.Equal(["env"], envChanged.GetProperty("changes").EnumerateArray().Select(c => c.GetString()));

        using var recreate = await client.PostAsync("/api/v1/hosts/local/containers/svc/recreate", null);
        var again = await recreate.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(recreate.StatusCode == HttpStatusCode.OK, again.ToString());
        Assert.Equal("recreated", again.GetProperty("action").GetString());
        Assert.Single(await ContainersAsync(client, "?host=local"));
    }

    [RequiresRootFact]
    public async Task Bad_input_and_failed_pulls_get_problem_details_with_the_reason()
    {
        var client = await StartAsync();

        using (var unknownHost = await client.GetAsync("/api/v1/hosts/nohost/containers/x"))
        {
            Assert.Contains("nohost", (await ProblemAsync(unknownHost, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var badImage = await client.PostAsJsonAsync("/api/v1/hosts/local/containers", new { image = "Not A/Valid Image!" }))
        {
            var problem = await ProblemAsync(badImage, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("image", out _), problem.ToString());
        }

        using (var malformed = await client.PutAsync("/api/v1/hosts/local/containers/svc", new StringContent("{\"image\": ", Encoding.UTF8, "application/json")))
        {
            Assert.Contains("JSON", (await ProblemAsync(malformed, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var unknownContainer = await client.PostAsync("/api/v1/hosts/local/containers/nosuch/stop", null))
        {
            Assert.Contains("nosuch", (await ProblemAsync(unknownContainer, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var unknownImage = await client.PostAsJsonAsync("/api/v1/hosts/local/containers", new { image = "cctest/none:1", name = "x" }))
        {
            Assert.Contains("cctest/none", (await ProblemAsync(unknownImage, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // Nothing listens on 127.0.0.1:1: the agent's pull fails and the server says why.
        using (var pull = await client.PostAsync("/api/v1/hosts/local/images/pull?image=127.0.0.1:1/team/app:1", null))
        {
            Assert.True(pull.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, await pull.Content.ReadAsStringAsync());
            Assert.Contains("127.0.0.1:1", (await pull.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var badPull = await client.PostAsync("/api/v1/hosts/local/images/pull?image=UPPER/Case", null))
        {
            Assert.True((await ProblemAsync(badPull, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("image", out _));
        }

        Assert.Empty(await ContainersAsync(client, "?host=local"));
    }

    [RequiresRootFact]
    public async Task Volumes_networks_images_and_limits_through_the_server()
    {
        var client = await StartAsync();

        using (var volume = await client.PostAsJsonAsync("/api/v1/hosts/local/volumes", new { name = "cctest-data" }))
        {
            Assert.Equal(HttpStatusCode.Created, volume.StatusCode);
        }

        using (var network = await client.PostAsJsonAsync("/api/v1/hosts/local/networks", new { name = "cctest-net" }))
        {
            Assert.True(network.StatusCode == HttpStatusCode.Created, await network.Content.ReadAsStringAsync());
        }

        using (var run = await client.PostAsJsonAsync("/api/v1/hosts/local/containers?start=true", new
        {
            image = "cctest/busybox:1",
            name = "vol1",
            cmd = Loop,
            volumes = new[] { "cctest-data:/data" },
            networks = new[] { new { name = "cctest-net", aliases = new[] { "db" } } },
        }))
        {
            Assert.True(run.StatusCode == HttpStatusCode.Created, await run.Content.ReadAsStringAsync());
        }

        var net = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/networks/cctest-net");
        Assert.Single(net.GetProperty("Containers").EnumerateObject());
        using (var inUse = await client.DeleteAsync("/api/v1/hosts/local/volumes/cctest-data"))
        {
            await ProblemAsync(inUse, HttpStatusCode.Conflict);
        }

        using (var update = await client.PostAsJsonAsync("/api/v1/hosts/local/containers/vol1/update", new { memory = "32m" }))
        {
            Assert.True(update.IsSuccessStatusCode, await update.Content.ReadAsStringAsync());
        }

        var inspect = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/containers/vol1");
        Assert.Equal(32L * 1024 * 1024, inspect.GetProperty("HostConfig").GetProperty("Memory").GetInt64());

        using (var commit = await client.PostAsJsonAsync("/api/v1/hosts/local/containers/vol1/commit", new { repo = "cctest/committed", tag = "1" }))
        {
            Assert.True(commit.StatusCode == HttpStatusCode.Created, await commit.Content.ReadAsStringAsync());
        }

        var images = await client.GetFromJsonAsync<JsonElement>("/api/v1/images?host=local");
        Assert.Contains(images.GetProperty("images").EnumerateArray(), i => i.GetProperty("Host").GetString() == "local"
            && i.GetProperty("RepoTags").EnumerateArray().Any(t => t.GetString() == "cctest/committed:1"));
        var history = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts/local/images/cctest/committed:1/history");
        Assert.True(history.GetArrayLength() >= 2);

        using (var disconnect = await client.PostAsJsonAsync("/api/v1/hosts/local/networks/cctest-net/disconnect", new { container = "vol1", force = true }))
        {
            Assert.True(disconnect.StatusCode == HttpStatusCode.NoContent, await disconnect.Content.ReadAsStringAsync());
        }

        using (var removed = await client.DeleteAsync("/api/v1/hosts/local/containers/vol1?force=true"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        foreach (var path in new[] { "/api/v1/hosts/local/volumes/cctest-data", "/api/v1/hosts/local/networks/cctest-net", "/api/v1/hosts/local/images/cctest/committed:1" })
        {
            using var delete = await client.DeleteAsync(path);
            Assert.True(delete.IsSuccessStatusCode, $"{path}: {await delete.Content.ReadAsStringAsync()}");
        }

        using var gone = await client.GetAsync("/api/v1/hosts/local/volumes/cctest-data");
        await ProblemAsync(gone, HttpStatusCode.NotFound);
    }

    private static async Task<List<JsonElement>> ContainersAsync(HttpClient client, string query)
    {
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/containers" + query);
        return [.. list.GetProperty("containers").EnumerateArray()];
    }

    private static async Task TagAsync(HttpClient client, string source, string repo, string tag)
    {
        using var response = await client.PostAsJsonAsync($"/api/v1/hosts/local/images/{source}/tag", new { repo, tag });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> PutAsync(HttpClient client, string name, object desired, HttpStatusCode expected)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/hosts/local/containers/{name}", desired);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {body}");
        return body;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
