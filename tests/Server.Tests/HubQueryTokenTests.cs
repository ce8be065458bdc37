using System.Net;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace ContainerConsole.Server.Tests;

/// <summary><c>?access_token=</c>: accepted on the hubs (browser WebSockets cannot set headers), ignored on the API, never logged.</summary>
public sealed class HubQueryTokenTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_hub_takes_the_token_from_the_query_string_the_api_does_not_and_it_is_neither_logged_nor_audited()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]) { MinimumLogLevel = LogLevel.Trace };
        using var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "olga", "operator");
        await ServerFactory.CreateUserAsync(admin, "vera", "viewer");
        var operatorToken = await ServerFactory.LoginAsync(server.CreateApiClient(), "olga", ServerFactory.UserPassword);
        var viewerToken = await ServerFactory.LoginAsync(server.CreateApiClient(), "vera", ServerFactory.UserPassword);

        // Without a token the hub refuses the connection.
        var anonymous = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.ConnectAsync(server, "progress", null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        // With the token in the query the call runs as its user: the operator reaches the method...
        await using (var hub = await HubClient.ConnectAsync(server, "progress", operatorToken, tokenInQuery: true))
        {
            var missing = await Assert.ThrowsAsync<HubException>(async () =>
            {
                await foreach (var _ in hub.StreamAsync<ProgressMessage>("Pull", "nohost", "busybox", "latest"))
                {
                }
            });
            Assert.Contains("No host is named 'nohost'", missing.Message, StringComparison.Ordinal);
        }

        // ...and the viewer keeps the viewer's role.
        await using (var hub = await HubClient.ConnectAsync(server, "progress", viewerToken, tokenInQuery: true))
        {
            var refused = await Assert.ThrowsAsync<HubException>(async () =>
            {
                await foreach (var _ in hub.StreamAsync<ProgressMessage>("Pull", "nohost", "busybox", "latest"))
                {
                }
            });
            Assert.Contains("unauthorized", refused.Message, StringComparison.OrdinalIgnoreCase);
        }

        // A wrong token in the query is refused on a hub; a right one is ignored on the API.
        using var anonymousClient = server.CreateApiClient();
        using (var wrong = await anonymousClient.PostAsync("/hubs/progress/negotiate?negotiateVersion=1&access_token=cc_wrong", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var api = await anonymousClient.GetAsync("/api/v1/auth/me?access_token=" + Uri.EscapeDataString(operatorToken)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        using (var mutating = await anonymousClient.PostAsync("/api/v1/auth/logout?access_token=" + Uri.EscapeDataString(operatorToken), null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, mutating.StatusCode);
        }

        // The token is in no log line and no audit entry (the refused API calls above are audited).
        Assert.NotEmpty(server.Logs.Lines);
        Assert.DoesNotContain(server.Logs.Lines, line => line.Contains(operatorToken, StringComparison.Ordinal) || line.Contains(viewerToken, StringComparison.Ordinal));
        var audit = await Database.QueryAsync(Path.Combine(server.DataDir, "containerconsole.db"),
            "SELECT coalesce(Action,'') || ' ' || coalesce(Path,'') || ' ' || coalesce(Target,'') || ' ' || coalesce(Details,'') FROM AuditEntries");
        Assert.Contains(audit, row => row.Contains("/api/v1/auth/logout", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, row => row.Contains(operatorToken, StringComparison.Ordinal));
    }
}
