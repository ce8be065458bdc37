using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;
using ContainerConsole.Tests;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using static ContainerConsole.Web.Tests.EndToEnd.ConsoleEndToEndTests;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// A viewer's circuit forcing the changes its pages never offer — run, limits update, commit — through the real
/// server's services (the real ConsoleGate) against a real agent: each is refused, audited as denied (source ui),
/// and the agent is left as it was. No browser: the refusal is the services', not the pages'.
/// </summary>
[Collection(Browser.Collection)]
public sealed class ForcedChangesEndToEndTests
{
    private const string ViewerPassword = "viewer-password-1234";

    [RequiresRootFact]
    public async Task A_viewers_forced_run_limits_update_and_commit_are_refused_and_audited()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cc-web-e2e-" + Guid.NewGuid().ToString("N")[..10]);
        using var agent = await RealAgent.StartWithBusyboxAsync();
        try
        {
            await using var server = ConsoleServer.Start(dataDir, [$"local={agent.Uri}"]);
            using var admin = await server.SignedInClientAsync("admin", ConsoleServer.AdminPassword);
            using (var created = await admin.PostAsJsonAsync("api/v1/users", new { username = "vera", password = ViewerPassword, role = "viewer" }))
            {
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            }

            var id = await agent.RunAsync("sleep 1000");
            var containersBefore = await ContainerIdsAsync(agent);
            var viewerId = await UserIdAsync(admin, "vera");

            await using (var scope = server.Services.CreateAsyncScope())
            {
                var state = (IHostEnvironmentAuthenticationStateProvider)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
                state.SetAuthenticationState(Task.FromResult(new AuthenticationState(Principal(viewerId, "vera", "viewer"))));

                var runner = scope.ServiceProvider.GetRequiredService<IContainerRunner>();
                var run = await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() =>
                    runner.RunAsync("local", new RunRequest("busybox", Name: "forced", Cmd: ["sleep", "1000"]), CancellationToken.None));
                Assert.Contains("viewer", run.Message, StringComparison.Ordinal);

                var resources = scope.ServiceProvider.GetRequiredService<IContainerResources>();
                var update = await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() =>
                    resources.UpdateLimitsAsync("local", id, new LimitsChange(Memory: "64m", PidsLimit: 10), CancellationToken.None));
                Assert.Contains("viewer", update.Message, StringComparison.Ordinal);

                var inspection = scope.ServiceProvider.GetRequiredService<IContainerInspection>();
                var commit = await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() =>
                    inspection.CommitAsync("local", id, new CommitImageRequest("forced-commit", "1", null, null), CancellationToken.None));
                Assert.Contains("viewer", commit.Message, StringComparison.Ordinal);
            }

            foreach (var (action, target) in new[] { ("container.run", "local/forced"), ("container.update", $"local/{id}"), ("container.commit", $"local/{id}") })
            {
                var entry = Assert.Single(await AuditAsync(admin, action, "ui"));
                Assert.Equal("vera", entry.GetProperty("user").GetString());
                Assert.Equal("denied", entry.GetProperty("result").GetString());
                Assert.Equal(target, entry.GetProperty("target").GetString());
            }

            // Nothing happened on the agent: no new container, the limits as they were, no committed image.
            Assert.Equal(containersBefore, await ContainerIdsAsync(agent));
            using (var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{id}/json")))
            {
                var hostConfig = inspect.RootElement.GetProperty("HostConfig");
                Assert.Equal(0, hostConfig.GetProperty("Memory").GetInt64());
                Assert.True(hostConfig.GetProperty("PidsLimit").ValueKind is JsonValueKind.Null || hostConfig.GetProperty("PidsLimit").GetInt64() <= 0);
            }

            using var image = await agent.Http.GetAsync("images/forced-commit:1/json");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, image.StatusCode);
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private static async Task<List<string>> ContainerIdsAsync(RealAgent agent)
    {
        var list = await agent.Http.GetFromJsonAsync<JsonElement>("containers/json?all=true");
        return [.. list.EnumerateArray().Select(c => c.GetProperty("Id").GetString()!).Order(StringComparer.Ordinal)];
    }
}
