using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>A ccagent on temporary roots and its own socket, with a Docker API client; killable like a crash.</summary>
public sealed class AgentProcess : IDisposable
{
    private Process? _process;

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "cc-agent-" + Guid.NewGuid().ToString("N")[..10]);
    public string Socket => Path.Combine(Dir, "run", "agent.sock");

    /// <summary>The agent's own default bridge (--bridge): agents side by side must not share one.</summary>
    public string Bridge { get; } = "cct" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The agent's netfilter table, as ccagent derives it from --bridge (AgentOptions.HostNetworkTable).</summary>
    public string NftTable => "containerconsole_" + Bridge;
    public HttpClient Http { get; private set; } = null!;

    private readonly string[] _extraArgs;

    public AgentProcess(params string[] extraArgs)
    {
        _extraArgs = extraArgs;
        Start();
    }

    public void Start()
    {
        var psi = new ProcessStartInfo(Path.Combine(TestEnvironment.BinDir, "ccagent"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--data-root", Path.Combine(Dir, "data"), "--exec-root", Path.Combine(Dir, "run"), "--bridge", Bridge }.Concat(_extraArgs))
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(Socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://agent/v1.45/"), Timeout = TimeSpan.FromSeconds(60) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if (Http.GetAsync("_ping").Result.IsSuccessStatusCode)
                    return;
            }
            catch (AggregateException)
            {
            }
            if (DateTime.UtcNow > deadline || _process.HasExited)
                throw new InvalidOperationException("ccagent did not start");
            Thread.Sleep(50);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Crash()
    {
        _process!.Kill();
        _process.WaitForExit();
        Http.Dispose();
    }

    public async Task<string> CreateAsync(object body, string? name = null)
    {
        var r = await Http.PostAsJsonAsync("containers/create" + (name is null ? "" : "?name=" + name), body);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("Id").GetString()!;
    }

    /// <summary>A new agent (with <paramref name="agentArgs"/>) with a busybox image loaded under <paramref name="tag"/>.</summary>
    public static async Task<AgentProcess> WithBusyboxImageAsync(string tag, params string[] agentArgs)
    {
        var agent = new AgentProcess(agentArgs);
        var archive = ImageArchive.DockerSave(tag, ImageArchive.BusyboxLayer(), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } });
        var body = new ByteArrayContent(archive);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        Assert.True((await agent.Http.PostAsync("images/load", body)).IsSuccessStatusCode);
        return agent;
    }

    /// <summary>The docker CLI against this agent.</summary>
    public TestEnvironment.Result Docker(params string[] args) => TestEnvironment.Run(TestEnvironment.DockerCli, ["-H", "unix://" + Socket, .. args]);

    /// <summary>The docker CLI against this agent; fails the test unless it succeeds. Returns stdout.</summary>
    public string DockerOk(params string[] args)
    {
        var r = Docker(args);
        Assert.True(r.ExitCode == 0, $"docker {string.Join(' ', args)}: {r.Stderr}");
        return r.Stdout;
    }

    public async Task<JsonElement> InspectAsync(string id)
    {
        using var r = await Http.GetAsync($"containers/{id}/json");
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"inspect {id}: {(int)r.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public async Task<HttpResponseMessage> PostAsync(string path) => await Http.PostAsync(path, null);

    /// <summary>The container's log through the API, demultiplexed: (stream, text) per frame.</summary>
    public async Task<List<(int Stream, string Text)>> LogsAsync(string id, string query = "stdout=1&stderr=1")
    {
        var bytes = await Http.GetByteArrayAsync($"containers/{id}/logs?{query}");
        var frames = new List<(int, string)>();
        for (var i = 0; i + 8 <= bytes.Length;)
        {
            var len = (bytes[i + 4] << 24) | (bytes[i + 5] << 16) | (bytes[i + 6] << 8) | bytes[i + 7];
            frames.Add((bytes[i], System.Text.Encoding.UTF8.GetString(bytes, i + 8, len)));
            i += 8 + len;
        }
        return frames;
    }

    /// <summary>The bridges the agent made (its default one and those of its user networks) and its netfilter table.</summary>
    public IReadOnlyList<string> Bridges()
    {
        var dir = Path.Combine(Dir, "data", "network", "networks");
        var names = new List<string> { Bridge };
        if (Directory.Exists(dir))
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(file));
                if (doc.RootElement.TryGetProperty("BridgeName", out var b) && b.GetString() is { Length: > 0 } name && !names.Contains(name))
                    names.Add(name);
            }
        }
        return names;
    }

    // The agent keeps its bridges across restarts (as dockerd does): a test agent's go with it, so `ip link` and
    // `nft list tables` are as before the test.
    private void RemoveNetworking()
    {
        foreach (var bridge in Bridges())
        {
            if (TestEnvironment.Run("/usr/sbin/ip", "link", "show", bridge).ExitCode == 0)
                TestEnvironment.Run("/usr/sbin/ip", "link", "del", bridge);
        }
        if (TestEnvironment.Run("/usr/sbin/nft", "list", "table", "ip", NftTable).ExitCode == 0)
            TestEnvironment.Run("/usr/sbin/nft", "delete", "table", "ip", NftTable);
    }

    public void Dispose()
    {
        try
        {
            foreach (var c in JsonDocument.Parse(Http.GetStringAsync("containers/json?all=1").Result).RootElement.EnumerateArray())
                Http.DeleteAsync($"containers/{c.GetProperty("Id").GetString()}?force=1").Wait();
        }
        catch (AggregateException)
        {
        }
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        Http.Dispose();
        RemoveNetworking();
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(Dir, StringComparison.Ordinal)))
            Assert.Fail($"leaked mount: {line}");
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, true);
    }
}
