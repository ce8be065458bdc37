using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Server.Tests;

public sealed class RoleTests : IDisposable
{
    private const string ContainerId = "4f1c0a7b2e9d";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_viewer_is_refused_a_stop_with_403_and_the_refusal_is_audited_an_operator_may()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        await ServerFactory.CreateUserAsync(admin, "otto", "operator");
        using var viewer = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);
        using var @operator = await server.SignedInClientAsync("otto", ServerFactory.UserPassword);

        using (var list = await viewer.GetAsync("/api/v1/containers"))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        using (var refused = await viewer.PostAsync($"/api/v1/containers/local/{ContainerId}/stop", content: null))
        {
            var problem = await AuthApiTests.AssertProblemAsync(refused, HttpStatusCode.Forbidden);
            Assert.Contains("role", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.Empty(agent.ContainerCalls);

        using (var stopped = await @operator.PostAsync($"/api/v1/containers/local/{ContainerId}/stop", content: null))
        {
            Assert.Equal(HttpStatusCode.NoContent, stopped.StatusCode);
        }

        Assert.Equal([$"POST {ContainerId}/stop"], agent.ContainerCalls);

        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=POST%20/api/v1/containers");
        var entries = audit.GetProperty("items").EnumerateArray().ToList();
        var denied = Assert.Single(entries, e => e.GetProperty("user").GetString() == "vera");
        Assert.Equal("denied", denied.GetProperty("result").GetString());
        Assert.Equal(403, denied.GetProperty("statusCode").GetInt32());
        Assert.Equal("token", denied.GetProperty("authMethod").GetString());
        Assert.Equal("POST /api/v1/containers/{host}/{id}/{action}", denied.GetProperty("action").GetString());
        Assert.Equal($"local/{ContainerId}", denied.GetProperty("target").GetString());
        Assert.Equal("local", denied.GetProperty("host").GetString());
        var allowed = Assert.Single(entries, e => e.GetProperty("user").GetString() == "otto");
        Assert.Equal("success", allowed.GetProperty("result").GetString());
        Assert.Equal(204, allowed.GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task Operators_and_viewers_cannot_manage_users_hosts_or_export_the_audit_log()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "otto", "operator");
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");

        foreach (var name in new[] { "otto", "vera" })
        {
            using var client = await server.SignedInClientAsync(name, ServerFactory.UserPassword);
            using var users = await client.GetAsync("/api/v1/users");
            await AuthApiTests.AssertProblemAsync(users, HttpStatusCode.Forbidden);
            using var create = await client.PostAsJsonAsync("/api/v1/users", new { username = "mallory", password = "password-1234", role = "admin" });
            await AuthApiTests.AssertProblemAsync(create, HttpStatusCode.Forbidden);
            using var host = await client.PostAsJsonAsync("/api/v1/hosts", new { name = "other", uri = "tcp://127.0.0.1:2375" });
            await AuthApiTests.AssertProblemAsync(host, HttpStatusCode.Forbidden);
            using var export = await client.GetAsync("/api/v1/audit/export");
            await AuthApiTests.AssertProblemAsync(export, HttpStatusCode.Forbidden);
            using var allTokens = await client.GetAsync("/api/v1/tokens?all=true");
            await AuthApiTests.AssertProblemAsync(allTokens, HttpStatusCode.Forbidden);
        }

        using var viewer = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);
        using var remove = await viewer.DeleteAsync("/api/v1/containers/somewhere/abc");
        await AuthApiTests.AssertProblemAsync(remove, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_role_change_applies_to_the_next_request()
    {
        await using var agent = await FakeAgent.StartAsync(_temp.Combine("agent.sock"));
        await using var server = new ServerFactory(_temp.Combine("data"), [$"local={agent.Uri}"]);
        using var admin = await server.SignedInClientAsync();
        var id = await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        using var vera = await server.SignedInClientAsync("vera", ServerFactory.UserPassword);

        using (var before = await vera.PostAsync($"/api/v1/containers/local/{ContainerId}/start", content: null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        using (var promote = await admin.PutAsJsonAsync($"/api/v1/users/{id}/role", new { role = "operator" }))
        {
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        }

        using var after = await vera.PostAsync($"/api/v1/containers/local/{ContainerId}/start", content: null);
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
    }

    [Fact]
    public async Task Anonymous_calls_are_401_and_every_api_endpoint_names_a_policy_or_allows_anonymous()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);
        using var client = server.CreateApiClient();

        foreach (var path in new[] { "/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/hosts", "/api/v1/no-such-endpoint" })
        {
            using var response = await client.GetAsync(path);
            await AuthApiTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        var policies = server.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var fallback = await policies.GetFallbackPolicyAsync();
        Assert.NotNull(fallback);
        Assert.Contains(fallback.Requirements, r => r is Microsoft.AspNetCore.Authorization.Infrastructure.DenyAnonymousAuthorizationRequirement);

        var known = new[] { Policies.Read, Policies.Operate, Policies.Administer };
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true)
            .ToList();
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var named = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => known.Contains(a.Policy));
            Assert.True(anonymous || named, $"{endpoint.DisplayName} names no policy");
        }
    }
}
