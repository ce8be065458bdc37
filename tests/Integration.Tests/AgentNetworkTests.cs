using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// Bridge networking end to end with the docker CLI against a real agent on the real kernel: published ports, user
/// networks with name resolution, connect/disconnect, and that nothing of it stays behind. Traffic goes only to
/// loopback, to the test's own namespace (TestNetns) and between the test's containers.
/// </summary>
public sealed class AgentNetworkTests
{
    private const string Image = "netbox:1";

    // busybox httpd serving one page
    private static string[] Httpd(string text) => [Image, "sh", "-c", $"mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www"];

    // An HTTP GET from inside a container with nc (busybox-static's wget crashes on this host); prints the body's line.
    private static string Get(string host) => $"printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {host} 80 | tail -n 1";

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>The page, retried while the server in the container starts.</summary>
    private static async Task<string> FetchAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return (await http.GetStringAsync(url)).Trim();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static string FetchFromNetns(TestNetns ns, string host, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            // busybox-static's wget crashes on this host (static glibc); nc speaks the HTTP/1.0 request instead
            var exec = ns.Exec("/bin/busybox").ToList();
            var r = TestEnvironment.RunWithInput(exec[0], "GET /index.html HTTP/1.0\r\n\r\n", TimeSpan.FromSeconds(10), [.. exec.Skip(1), "nc", "-w", "3", host, port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            var body = r.Stdout.Split("\r\n\r\n", 2);
            if ((r.ExitCode == 0 && body.Length == 2) || DateTime.UtcNow > deadline)
                return body.Length == 2 ? body[1].Trim() : $"nc failed: {r.Stdout}{r.Stderr}";
            Thread.Sleep(200);
        }
    }

    private static void AssertNoLeftovers(AgentProcess agent, IReadOnlyList<string> bridges)
    {
        foreach (var b in bridges)
            Assert.NotEqual(0, TestEnvironment.Run("/usr/sbin/ip", "link", "show", b).ExitCode);
        Assert.DoesNotContain(agent.NftTable, TestEnvironment.Run("/usr/sbin/nft", "list", "tables").Stdout);
    }

    [RequiresRootFact]
    public async Task Published_tcp_port_answers_on_loopback_and_from_another_namespace_and_ps_shows_it()
    {
        IReadOnlyList<string> bridges;
        var agent = await AgentProcess.WithBusyboxImageAsync(Image);
        using (agent)
        using (var ns = new TestNetns())
        {
            var port = FreePort();
            agent.DockerOk(["run", "-d", "--name", "web", "-p", $"{port}:80", .. Httpd("hello-tcp")]);
            Assert.Equal("hello-tcp", await FetchAsync($"http://127.0.0.1:{port}/index.html"));
            Assert.Equal("hello-tcp", FetchFromNetns(ns, ns.HostAddress, port));
            Assert.Contains($"0.0.0.0:{port}->80/tcp", agent.DockerOk("ps"));
            Assert.Equal($"0.0.0.0:{port}", agent.DockerOk("port", "web", "80/tcp").Trim());
            var settings = (await agent.InspectAsync("web")).GetProperty("NetworkSettings");
            var ip = settings.GetProperty("IPAddress").GetString()!;
            Assert.Equal(ip, settings.GetProperty("Networks").GetProperty("bridge").GetProperty("IPAddress").GetString());
            Assert.Equal($"{port}", settings.GetProperty("Ports").GetProperty("80/tcp")[0].GetProperty("HostPort").GetString());
            // the same host port twice: dockerd's message, and the second container holds nothing
            var clash = agent.Docker(["run", "-d", "--name", "clash", "-p", $"{port}:80", .. Httpd("x")]);
            Assert.NotEqual(0, clash.ExitCode);
            Assert.Contains($"Bind for 0.0.0.0:{port} failed: port is already allocated", clash.Stderr);
            // the container's name files
            var hosts = agent.DockerOk("exec", "web", "cat", "/etc/hosts");
            Assert.Contains($"{ip}\t", hosts);
            agent.DockerOk("rm", "-f", "web", "clash");
            bridges = agent.Bridges();
        }
        AssertNoLeftovers(agent, bridges);
    }

    [RequiresRootFact]
    public async Task Publish_all_ports_picks_a_free_host_port()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync(Image);
        agent.DockerOk(["run", "-d", "--name", "all", "--expose", "80", "-P", .. Httpd("hello-all")]);
        var mapped = agent.DockerOk("port", "all", "80").Trim(); // 0.0.0.0:NNNNN
        var hostPort = int.Parse(mapped[(mapped.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("hello-all", await FetchAsync($"http://127.0.0.1:{hostPort}/index.html"));

        Assert.Contains($"{mapped}->80/tcp", agent.DockerOk("ps"));
    }

    [RequiresRootFact]
    public async Task Container_and_host_modes_share_the_namespace_and_its_hostname_as_docker_does()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync(Image);
        agent.DockerOk("run", "-d", "--name", "target", "--hostname", "targethost", Image, "sleep", "60");
        var targetIp = (await agent.InspectAsync("target")).GetProperty("NetworkSettings").GetProperty("IPAddress").GetString()!;
        var joined = agent.DockerOk("run", "--rm", "--network", "container:target", Image, "sh", "-c", "hostname; cat /etc/hostname; ip -4 -o addr show eth0");
        var lines = joined.Split('\n');
        Assert.Equal(("targethost", "targethost"), (lines[0], lines[1]));
        Assert.Contains(targetIp + "/", lines[2]);
        Assert.Contains("conflicting options: hostname and the network mode",
            agent.Docker("run", "--rm", "--network", "container:target", "--hostname", "x", Image, "true").Stderr);
        Assert.Equal(Environment.MachineName, agent.DockerOk("run", "--rm", "--network", "host", Image, "sh", "-c", "hostname").Trim());
        agent.DockerOk("rm", "-f", "target");
    }

    [RequiresRootFact]
    public async Task A_published_udp_port_echoes_datagrams_from_the_host()
    {
        // Debian's busybox-static has no UDP server (its nc lacks -u): a tiny static one is built and copied in.
        var work = Directory.CreateTempSubdirectory("cc-udp-").FullName;
        try
        {
            var echo = Path.Combine(work, "udp-echo");
            var cc = TestEnvironment.Run("gcc", "-O2", "-static", "-o", echo, Path.Combine(AppContext.BaseDirectory, "Assets", "udp-echo.c"));
            Assert.True(cc.ExitCode == 0, cc.Stderr);
            using var agent = await AgentProcess.WithBusyboxImageAsync(Image);
            var port = FreePort();
            agent.DockerOk("create", "--name", "echo", "-p", $"127.0.0.1:{port}:7/udp", Image, "/udp-echo", "7");
            agent.DockerOk("cp", echo, "echo:/udp-echo");
            agent.DockerOk("start", "echo");
            Assert.Contains($"127.0.0.1:{port}->7/udp", agent.DockerOk("ps"));

            using var udp = new UdpClient(AddressFamily.InterNetwork);
            udp.Connect(IPAddress.Loopback, port);
            string? answer = null;
            for (var attempt = 0; attempt < 50 && answer is null; attempt++) // the server may not be bound yet
            {
                await udp.SendAsync("ping over udp"u8.ToArray());
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                try
                {
                    answer = System.Text.Encoding.ASCII.GetString((await udp.ReceiveAsync(wait.Token)).Buffer);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                }
            }
            Assert.Equal("ping over udp", answer);
            agent.DockerOk("rm", "-f", "echo");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [RequiresRootFact]
    public async Task Containers_on_a_user_network_resolve_each_other_by_name_alias_and_short_id()
    {
        IReadOnlyList<string> bridges;
        var agent = await AgentProcess.WithBusyboxImageAsync(Image);
        using (agent)
        {
            agent.DockerOk("network", "create", "--subnet", "10.213.0.0/24", "appnet");
            var id = agent.DockerOk(["run", "-d", "--name", "db", "--network", "appnet", "--network-alias", "database", .. Httpd("from-db")]).Trim();
            var client = agent.Docker("run", "--rm", "--network", "appnet", Image, "sh", "-c",
                $"nslookup db && ping -c 1 -W 3 database && {Get("db")} && {Get(id[..12])}");
            Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
            Assert.Contains("10.213.0.2", client.Stdout);
            Assert.Equal(2, client.Stdout.Split('\n').Count(l => l.Trim() == "from-db"));
            Assert.Contains("nameserver 10.213.0.1", agent.DockerOk("run", "--rm", "--network", "appnet", Image, "cat", "/etc/resolv.conf"));

            var net = JsonDocument.Parse(agent.DockerOk("network", "inspect", "appnet")).RootElement[0];
            Assert.Equal("10.213.0.0/24", net.GetProperty("IPAM").GetProperty("Config")[0].GetProperty("Subnet").GetString());
            Assert.Equal("10.213.0.2/24", net.GetProperty("Containers").GetProperty(id).GetProperty("IPv4Address").GetString());
            var rm = agent.Docker("network", "rm", "appnet");
            Assert.NotEqual(0, rm.ExitCode);
            Assert.Contains("active endpoints", rm.Stderr);
            Assert.Contains("appnet", agent.DockerOk("network", "ls"));
            agent.DockerOk("rm", "-f", "db");
            agent.DockerOk("network", "rm", "appnet");
            Assert.DoesNotContain("appnet", agent.DockerOk("network", "ls"));
            bridges = agent.Bridges();
        }
        AssertNoLeftovers(agent, bridges);
    }

    [RequiresRootFact]
    public async Task Connect_disconnect_and_prune()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync(Image);
        agent.DockerOk("network", "create", "side");
        agent.DockerOk("network", "create", "unused");
        agent.DockerOk("run", "-d", "--name", "box", Image, "sleep", "300");
        agent.DockerOk("network", "connect", "--alias", "boxy", "side", "box");
        Assert.Contains("eth1", agent.DockerOk("exec", "box", "sh", "-c", "ip -o link"));
        var networks = (await agent.InspectAsync("box")).GetProperty("NetworkSettings").GetProperty("Networks");
        Assert.True(networks.TryGetProperty("side", out var side));
        Assert.Contains("boxy", side.GetProperty("Aliases").EnumerateArray().Select(a => a.GetString()));
        agent.DockerOk("network", "disconnect", "side", "box");
        Assert.DoesNotContain("eth1", agent.DockerOk("exec", "box", "sh", "-c", "ip -o link"));
        var pruned = agent.DockerOk("network", "prune", "-f");
        Assert.Contains("unused", pruned);
        Assert.Contains("side", pruned);
        Assert.Equal(["bridge", "host", "none"], agent.DockerOk("network", "ls", "--format", "{{.Name}}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.NotEqual(0, agent.Docker("network", "rm", "bridge").ExitCode);
    }

    [RequiresRootFact]
    public async Task A_running_container_stays_reachable_across_an_agent_restart_and_its_port_is_freed_at_exit()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync(Image);
        var port = FreePort();
        agent.DockerOk(["run", "-d", "--name", "web", "-p", $"{port}:80", .. Httpd("still-here")]);
        Assert.Equal("still-here", await FetchAsync($"http://127.0.0.1:{port}/index.html"));
        agent.Crash();
        agent.Start();
        Assert.Equal("still-here", await FetchAsync($"http://127.0.0.1:{port}/index.html"));
        Assert.Contains($"0.0.0.0:{port}->80/tcp", agent.DockerOk("ps"));
        agent.DockerOk("stop", "-t", "1", "web");
        // the address and the port are free again: another container takes the same port
        agent.DockerOk(["run", "-d", "--name", "again", "-p", $"{port}:80", .. Httpd("second")]);
        Assert.Equal("second", await FetchAsync($"http://127.0.0.1:{port}/index.html"));
    }
}
