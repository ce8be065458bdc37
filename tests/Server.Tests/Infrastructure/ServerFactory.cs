using System.Net.Http.Json;
using ContainerConsole.Server.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>
/// The real server in memory, with its own data directory and agents. <paramref name="adminPassword"/>
/// stands for CONTAINERCONSOLE_ADMIN_PASSWORD; null means unset.
/// </summary>
public sealed class ServerFactory(string dataDir, IReadOnlyList<string> agents, string? adminPassword = ServerFactory.AdminPassword)
    : WebApplicationFactory<Program>
{
    public const string AdminPassword = "correct horse battery staple";

    public CapturingConsole Output { get; } = new();

    public string DataDir => dataDir;

    /// <summary>What the server logged (at <see cref="MinimumLogLevel"/> and up, after the server's own filters).</summary>
    public CapturingLogs Logs { get; } = new();

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Replaces the server's clock (token expiry tests).</summary>
    public TimeProvider? Time { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ContainerConsole:DataDir", dataDir);
        for (var i = 0; i < agents.Count; i++)
        {
            builder.UseSetting($"ContainerConsole:Agents:{i}", agents[i]);
        }

        builder.UseSetting(ServerOptions.AdminPasswordVariable, adminPassword ?? "");
        builder.UseSetting("ContainerConsole:AgentTimeout", "00:00:05");
        builder.UseSetting("ContainerConsole:EventReconnectDelay", "00:00:00.100");
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(MinimumLogLevel).AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IServerConsole>(Output);
            if (Time is not null)
            {
                services.AddSingleton(Time);
            }
        });
    }

    /// <summary>A client that neither follows redirects nor (unless asked) keeps cookies.</summary>
    public HttpClient CreateApiClient(bool cookies = false) =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = cookies });

    public static Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string username, string password) =>
        client.PostAsJsonAsync("/api/v1/auth/login", new { username, password });

    /// <summary>Signs in and returns the bearer token.</summary>
    public static async Task<string> LoginAsync(HttpClient client, string username = "admin", string password = AdminPassword)
    {
        using var response = await PostLoginAsync(client, username, password);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<LoginBody>();
        return body?.Token ?? throw new InvalidOperationException("The login returned no token.");
    }

    /// <summary>A client that sends the bearer token of <paramref name="username"/>.</summary>
    public async Task<HttpClient> SignedInClientAsync(string username = "admin", string password = AdminPassword)
    {
        var client = CreateApiClient();
        var token = await LoginAsync(client, username, password);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Creates a user through the admin API and returns its id.</summary>
    public static async Task<string> CreateUserAsync(HttpClient admin, string username, string role, string password = "password-" + "1234")
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/users", new { username, password, role });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("id").GetString()!;
    }

    public const string UserPassword = "password-1234";

    private sealed record LoginBody(string Token);
}
