using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// The real server on a real Kestrel port of 127.0.0.1 (a browser needs a socket), with its own data directory,
/// the given agents and <see cref="AdminPassword"/> as CONTAINERCONSOLE_ADMIN_PASSWORD. In process, so a test can
/// also call the server's services directly (a forced call a page would never make).
/// </summary>
public sealed class ConsoleServer : WebApplicationFactory<Program>
{
    public const string AdminPassword = "e2e admin password 42";

    private readonly string _dataDir;
    private readonly IReadOnlyList<string> _agents;

    private ConsoleServer(string dataDir, IReadOnlyList<string> agents)
    {
        _dataDir = dataDir;
        _agents = agents;
        UseKestrel(0);
    }

    /// <summary>Where the browser goes, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    public static ConsoleServer Start(string dataDir, IReadOnlyList<string> agents)
    {
        var server = new ConsoleServer(dataDir, agents);
        server.StartServer();
        var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("ContainerConsole:DataDir", _dataDir);
        for (var i = 0; i < _agents.Count; i++)
        {
            builder.UseSetting($"ContainerConsole:Agents:{i}", _agents[i]);
        }

        builder.UseSetting(ServerOptions.AdminPasswordVariable, AdminPassword);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>A REST client on the real port, signed in with a bearer token.</summary>
    public async Task<HttpClient> SignedInClientAsync(string user, string password)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        using var login = await client.PostAsJsonAsync("api/v1/auth/login", new { username = user, password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
