using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ContainerConsole.Bench;

/// <summary>ccserver on a loopback port and a fresh data dir, managing one engine, signed in with a bearer token.</summary>
public sealed partial class ServerUnderTest : IAsyncDisposable
{
    private const string Password = "ccbench-admin-password";
    private readonly Daemon _daemon;
    private readonly string _url;
    private string _token = "";

    private ServerUnderTest(Daemon daemon, string url)
    {
        _daemon = daemon;
        _url = url;
    }

    public static async Task<ServerUnderTest> StartAsync(Testbed bed, Engine engine)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var dataDir = Path.Combine(bed.WorkDir, "server-" + engine.Name);
        var daemon = Daemon.Start("ccserver", Path.Combine(bed.BinDir, "ccserver"),
            ["--urls", url, "--data-dir", dataDir, "--agent", $"{engine.Name}=unix://{engine.Socket}"],
            dataDir + ".log", new Dictionary<string, string> { ["CONTAINERCONSOLE_ADMIN_PASSWORD"] = Password });
        var server = new ServerUnderTest(daemon, url);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            await daemon.WaitReadyAsync(async () =>
            {
                try
                {
                    using var r = await http.PostAsJsonAsync("/api/v1/auth/login", new { username = "admin", password = Password });
                    if (r.StatusCode != HttpStatusCode.OK)
                        return false;
                    server._token = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60));
            // one request through to the engine before the clock starts
            using var first = new HttpRequestMessage(HttpMethod.Get, "/api/v1/containers");
            first.Headers.Authorization = new("Bearer", server._token);
            (await http.SendAsync(first)).EnsureSuccessStatusCode();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Requests per second under <c>wrk -t2 -c50 -d10s</c>; non-2xx answers make it fail.</summary>
    public double Wrk(string path)
    {
        var output = Testbed.Run("wrk", "-t2", "-c50", "-d10s", "-H", "Authorization: Bearer " + _token, _url + path);
        if (NonSuccess().Match(output) is { Success: true } bad)
            throw new InvalidOperationException($"wrk saw {bad.Groups[1].Value} non-2xx answers:\n{output}");
        return double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        _daemon.Dispose();
        return ValueTask.CompletedTask;
    }
}
