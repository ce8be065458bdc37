using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ContainerConsole.Tests;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>
/// A real <c>bin/ccagent</c> (needs root and <c>make build</c>) on temporary roots, its own socket and its own default
/// bridge (<c>cct</c> + 6 hex), as tests/Integration.Tests/AgentProcess.cs starts one. Disposing removes its
/// containers, stops the process it started (by its pid), deletes its bridges and netfilter table and its directory.
/// </summary>
public sealed class RealAgent : IDisposable
{
    /// <summary>The busybox image <see cref="StartWithBusyboxAsync"/> loads and <see cref="RunAsync"/> runs.</summary>
    public const string Image = "ccserverbox:1";

    private readonly Process _process;

    private RealAgent(string dir, string bridge, Process process, HttpClient http)
    {
        Dir = dir;
        Bridge = bridge;
        _process = process;
        Http = http;
    }

    public string Dir { get; }

    public string Bridge { get; }

    public string Socket => Path.Combine(Dir, "run", "agent.sock");

    public string Uri => "unix://" + Socket;

    /// <summary>A Docker API client on the agent's socket (for checks behind the server's back).</summary>
    public HttpClient Http { get; }

    public static async Task<RealAgent> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cc-srv-agent-" + Guid.NewGuid().ToString("N")[..10]);
        var bridge = "cct" + Guid.NewGuid().ToString("N")[..6];
        var start = new ProcessStartInfo(Path.Combine(BinDir(), "ccagent"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--data-root", Path.Combine(dir, "data"), "--exec-root", Path.Combine(dir, "run"), "--bridge", bridge })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var socket = Path.Combine(dir, "run", "agent.sock");
        var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        })
        { BaseAddress = new System.Uri("http://agent/"), Timeout = TimeSpan.FromSeconds(60) };
        var agent = new RealAgent(dir, bridge, process, http);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var ping = await http.GetAsync("_ping");
                if (ping.IsSuccessStatusCode)
                {
                    return agent;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                agent.Dispose();
                throw new InvalidOperationException("ccagent did not start");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>An agent with <see cref="Image"/> loaded.</summary>
    public static async Task<RealAgent> StartWithBusyboxAsync()
    {
        var agent = await StartAsync();
        try
        {
            await agent.LoadBusyboxAsync(Image);
            return agent;
        }
        catch
        {
            agent.Dispose();
            throw;
        }
    }

    /// <summary>Creates and starts a container of <see cref="Image"/> running <paramref name="script"/> with sh; returns its id.</summary>
    public async Task<string> RunAsync(string script, string? hostname = null)
    {
        using var created = await Http.PostAsJsonAsync("containers/create", new
        {
            Image,
            Cmd = new[] { "sh", "-c", script },
            Hostname = hostname,
            HostConfig = new { NetworkMode = "none" },
        });
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("Id").GetString()!;
        using var started = await Http.PostAsync($"containers/{id}/start", null);
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        return id;
    }

    /// <summary>Loads a busybox image (Debian's busybox-static) tagged <paramref name="tag"/> straight into the agent.</summary>
    public async Task LoadBusyboxAsync(string tag, string marker = "")
    {
        using var body = new ByteArrayContent(BusyboxArchive(tag, marker));
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        using var response = await Http.PostAsync("images/load", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A <c>docker save</c> archive of a busybox image; <paramref name="marker"/> goes into a file and the config, so
    /// different markers give different image ids.
    /// </summary>
    public static byte[] BusyboxArchive(string repoTag, string marker = "") =>
        ImageArchive.DockerSave(repoTag, ImageArchive.BusyboxLayer(("etc/marker", marker)),
            new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" }, Labels = new Dictionary<string, string> { ["marker"] = marker } });

    public void Dispose()
    {
        try
        {
            using var list = JsonDocument.Parse(Http.GetStringAsync("containers/json?all=1").GetAwaiter().GetResult());
            foreach (var container in list.RootElement.EnumerateArray())
            {
                Http.DeleteAsync($"containers/{container.GetProperty("Id").GetString()}?force=1").GetAwaiter().GetResult().Dispose();
            }
        }
        catch (HttpRequestException)
        {
            // The agent is gone already: nothing to remove through it.
        }

        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Http.Dispose();
        RemoveNetworking();
        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }
    }

    // The agent keeps its bridges when it stops (as dockerd does): a test agent's bridges and table go with it.
    private void RemoveNetworking()
    {
        var bridges = new List<string> { Bridge };
        var networks = Path.Combine(Dir, "data", "network", "networks");
        if (Directory.Exists(networks))
        {
            foreach (var file in Directory.EnumerateFiles(networks, "*.json"))
            {
                using var document = JsonDocument.Parse(File.ReadAllText(file));
                if (document.RootElement.TryGetProperty("BridgeName", out var name) && name.GetString() is { Length: > 0 } bridge && !bridges.Contains(bridge))
                {
                    bridges.Add(bridge);
                }
            }
        }

        foreach (var bridge in bridges)
        {
            if (Run("/usr/sbin/ip", "link", "show", bridge) == 0)
            {
                Run("/usr/sbin/ip", "link", "del", bridge);
            }
        }

        var table = "containerconsole_" + Bridge;
        if (Run("/usr/sbin/nft", "list", "table", "ip", table) == 0)
        {
            Run("/usr/sbin/nft", "delete", "table", "ip", table);
        }
    }

    private static int Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

    internal static string BinDir()
    {
        var configured = Environment.GetEnvironmentVariable("CONTAINERCONSOLE_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ContainerConsole.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found; set CONTAINERCONSOLE_BIN"), "bin");
    }
}
