using System.Diagnostics;
using System.Formats.Tar;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>
/// A real <c>bin/ccagent</c> on temporary roots with its own socket and bridge (as tests/Integration.Tests'
/// AgentProcess), with a busybox image imported from Debian's busybox-static. Disposing removes its containers,
/// stops it (by its pid) and removes its bridge and netfilter table.
/// </summary>
public sealed class RealAgent : IDisposable
{
    public const string Image = "ccserverbox:1";

    private readonly Process _process;

    private RealAgent()
    {
        var bin = Environment.GetEnvironmentVariable("CONTAINERCONSOLE_BIN") is { Length: > 0 } env ? env : Path.Combine(RepositoryRoot(), "bin");
        var psi = new ProcessStartInfo(Path.Combine(bin, "ccagent")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--data-root", Path.Combine(Dir, "data"), "--exec-root", Path.Combine(Dir, "run"), "--bridge", Bridge })
        {
            psi.ArgumentList.Add(arg);
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("ccagent did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://agent/v1.44/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "ccs-agent-" + Guid.NewGuid().ToString("N")[..10]);

    public string Socket => Path.Combine(Dir, "run", "agent.sock");

    public string Uri => "unix://" + Socket;

    /// <summary>The agent's own default bridge: agents side by side must not share one.</summary>
    public string Bridge { get; } = "cct" + Guid.NewGuid().ToString("N")[..6];

    public HttpClient Http { get; }

    /// <summary>Starts an agent, waits for its socket and imports <see cref="Image"/>.</summary>
    public static async Task<RealAgent> StartAsync()
    {
        var agent = new RealAgent();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                try
                {
                    using var ping = await agent.Http.GetAsync("_ping", deadline.Token);
                    if (ping.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                Assert.False(agent._process.HasExited, "ccagent exited at start");
                await Task.Delay(50, deadline.Token);
            }

            using var body = new ByteArrayContent(BusyboxRootfsTar());
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            using var import = await agent.Http.PostAsync($"images/create?fromSrc=-&repo=ccserverbox&tag=1", body);
            Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());
            return agent;
        }
        catch
        {
            agent.Dispose();
            throw;
        }
    }

    /// <summary>Creates and starts a container running <paramref name="script"/> with sh; returns its id.</summary>
    public async Task<string> RunAsync(string script, string? hostname = null)
    {
        using var created = await Http.PostAsJsonAsync("containers/create", new
        {
            Image,
            Cmd = new[] { "sh", "-c", script },
            Env = new[] { "PATH=/bin" },
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

    /// <summary>A root filesystem of Debian's busybox-static with the applets the tests use.</summary>
    private static byte[] BusyboxRootfsTar()
    {
        using var memory = new MemoryStream();
        using (var tar = new TarWriter(memory, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var dir in new[] { "bin/", "etc/", "tmp/", "proc/", "sys/", "dev/" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)Convert.ToInt32(dir == "tmp/" ? "1777" : "755", 8) });
            }

            tar.WriteEntry("/bin/busybox", "bin/busybox");
            foreach (var applet in new[] { "sh", "echo", "sleep", "hostname", "cat", "true" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox" });
            }
        }

        return memory.ToArray();
    }

    private static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ContainerConsole.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found; set CONTAINERCONSOLE_BIN");
    }

    private static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

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
        }

        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Http.Dispose();
        if (Run("/usr/sbin/ip", "link", "show", Bridge) == 0)
        {
            Run("/usr/sbin/ip", "link", "del", Bridge);
        }

        if (Run("/usr/sbin/nft", "list", "table", "ip", "containerconsole_" + Bridge) == 0)
        {
            Run("/usr/sbin/nft", "delete", "table", "ip", "containerconsole_" + Bridge);
        }

        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }
    }
}
