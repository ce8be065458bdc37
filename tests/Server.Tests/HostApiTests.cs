using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class HostApiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private async Task<HttpClient> SignedInClientAsync(ServerFactory server)
    {
        var client = server.CreateApiClient();
        var token = await ServerFactory.LoginAsync(client);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task A_socket_that_does_not_exist_shows_as_unreachable_with_the_error()
    {
        var socket = _temp.Combine("missing.sock");
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{socket}"]);
        using var client = await SignedInClientAsync(server);

        using var response = await client.GetAsync("/api/v1/hosts");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var host = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.Equal($"unix://{socket}", host.GetProperty("uri").GetString());
        Assert.Equal("unreachable", host.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, host.GetProperty("version").ValueKind);
        Assert.Contains(socket, host.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Containers_of_an_unreachable_agent_are_reported_not_a_500()
    {
        var socket = _temp.Combine("missing.sock");
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{socket}"]);
        using var client = await SignedInClientAsync(server);

        using var response = await client.GetAsync("/api/v1/containers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, body.GetProperty("containers").GetArrayLength());
        var unreachable = Assert.Single(body.GetProperty("unreachableHosts").EnumerateArray());
        Assert.Equal($"unix://{socket}", unreachable.GetProperty("host").GetString());
        Assert.False(string.IsNullOrEmpty(unreachable.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_running_agent_shows_as_healthy_with_its_version_and_containers()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var client = await SignedInClientAsync(server);

        var hosts = await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts");
        var host = Assert.Single(hosts.EnumerateArray());
        Assert.Equal("local", host.GetProperty("name").GetString());
        Assert.Equal(agent.Uri, host.GetProperty("uri").GetString());
        Assert.Equal("healthy", host.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, host.GetProperty("error").ValueKind);
        var version = host.GetProperty("version");
        Assert.Equal(FakeAgent.EngineVersion, version.GetProperty("version").GetString());
        Assert.Equal("1.44", version.GetProperty("apiVersion").GetString());
        Assert.Equal("1.24", version.GetProperty("minApiVersion").GetString());
        Assert.Equal("linux", version.GetProperty("os").GetString());
        Assert.Equal("6.1.0-test", version.GetProperty("kernelVersion").GetString());

        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/containers");
        Assert.Equal(0, list.GetProperty("unreachableHosts").GetArrayLength());
        var containers = list.GetProperty("containers").EnumerateArray().ToList();
        Assert.Equal(2, containers.Count);
        var web = containers.Single(c => c.GetProperty("image").GetString() == "busybox:latest");
        Assert.Equal("local", web.GetProperty("host").GetString());
        Assert.StartsWith("4f1c0a7b2e9d", web.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("/web", Assert.Single(web.GetProperty("names").EnumerateArray()).GetString());
        Assert.Equal("running", web.GetProperty("state").GetString());
        Assert.Equal("Up 5 minutes", web.GetProperty("status").GetString());
        Assert.Equal(1764300000, web.GetProperty("created").GetInt64());
        Assert.Contains(containers, c => c.GetProperty("state").GetString() == "exited");

        Assert.Contains("/_ping", agent.Requests);
        Assert.Contains("/version", agent.Requests);
        Assert.Contains("/containers/json?all=1", agent.Requests);
    }

    [Fact]
    public async Task Healthy_and_unreachable_agents_are_listed_side_by_side()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        var missing = $"unix://{_temp.Combine("missing.sock")}";
        await using var server = new ServerFactory(_temp.Combine("data"), [agent.Uri, missing]);
        using var client = await SignedInClientAsync(server);

        var hosts = (await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts")).EnumerateArray().ToList();

        Assert.Equal(["healthy", "unreachable"], hosts.Select(h => h.GetProperty("state").GetString()));
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/containers");
        Assert.Equal(2, list.GetProperty("containers").GetArrayLength());
        Assert.Equal(missing, Assert.Single(list.GetProperty("unreachableHosts").EnumerateArray()).GetProperty("host").GetString());

        var onlyAgent = await client.GetFromJsonAsync<JsonElement>($"/api/v1/containers?host={Uri.EscapeDataString(agent.Uri)}");
        Assert.Equal(0, onlyAgent.GetProperty("unreachableHosts").GetArrayLength());
        Assert.Equal(2, onlyAgent.GetProperty("containers").GetArrayLength());
    }

    [Fact]
    public async Task An_agent_answering_errors_is_unhealthy_with_dockers_message()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"), brokenVersion: true);
        await using var server = new ServerFactory(_temp.Combine("data"), [agent.Uri]);
        using var client = await SignedInClientAsync(server);

        var host = Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/hosts")).EnumerateArray());

        Assert.Equal("unhealthy", host.GetProperty("state").GetString());
        Assert.Contains("engine is wedged", host.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Containers_of_an_unknown_host_is_404_problem_details()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = await SignedInClientAsync(server);

        using var response = await client.GetAsync("/api/v1/containers?host=elsewhere");

        await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Containers_without_authentication_is_401()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient();

        using var response = await client.GetAsync("/api/v1/containers");

        await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }
}
