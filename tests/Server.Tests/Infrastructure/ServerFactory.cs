using System.Net.Http.Json;
using ContainerConsole.Server.Hosting;
using Microsoft.AspNetCore.Builder;
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

    /// <summary><c>--trusted-proxy</c> values.</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>The peer address every request seems to come from (the in-memory server has none).</summary>
    public System.Net.IPAddress? PeerAddress { get; init; }

    /// <summary><c>--database</c>; null keeps the default (SQLite in the data directory).</summary>
    public string? Database { get; init; }

    /// <summary><c>--connection-string</c> (ConnectionStrings:Console).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Further <c>ContainerConsole:</c> settings (name without the section, value).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ContainerConsole:DataDir", dataDir);
        for (var i = 0; i < agents.Count; i++)
        {
            builder.UseSetting($"ContainerConsole:Agents:{i}", agents[i]);
        }

        if (Database is not null)
        {
            builder.UseSetting($"{ServerOptions.SectionName}:{nameof(ServerOptions.Database)}", Database);
        }

        if (ConnectionString is not null)
        {
            builder.UseSetting($"ConnectionStrings:{ServerOptions.ConnectionStringName}", ConnectionString);
        }

        for (var i = 0; i < TrustedProxies.Count; i++)
        {
            builder.UseSetting($"{ServerOptions.SectionName}:{nameof(ServerOptions.TrustedProxies)}:{i}", TrustedProxies[i]);
        }

        foreach (var (name, value) in Settings)
        {
            builder.UseSetting($"{ServerOptions.SectionName}:{name}", value);
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

            if (PeerAddress is not null)
            {
                services.AddSingleton<IStartupFilter>(new PeerAddressFilter(PeerAddress));
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

    /// <summary>Sets the connection's remote address before the server's own middleware runs.</summary>
    private sealed class PeerAddressFilter(System.Net.IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Connection.RemoteIpAddress = address;
                return following(context);
            });
            next(app);
        };
    }
}
