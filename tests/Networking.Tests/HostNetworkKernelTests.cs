using System.Net;
using System.Net.Sockets;
using System.Text;
using ContainerConsole.Networking.Netlink;

namespace ContainerConsole.Networking.Tests;

/// <summary>Real links, namespaces and nft rules (root). Every test cleans up what it made, even on failure.</summary>
public class HostNetworkKernelTests
{
    private static string WebRoot(string marker)
    {
        var dir = Directory.CreateTempSubdirectory("ccnet-www-").FullName;
        File.WriteAllText(Path.Combine(dir, "index.html"), marker);
        Directory.CreateDirectory(Path.Combine(dir, "cgi-bin"));
        var cgi = Path.Combine(dir, "cgi-bin", "addr");
        File.WriteAllText(cgi, "#!/bin/busybox sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\necho \"$REMOTE_ADDR\"\n");
        File.SetUnixFileMode(cgi, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    private static bool TableExists(string table) => TestProcess.Run("/usr/sbin/nft", "list", "table", "ip", table).ExitCode == 0;

    [RequiresRootFact]
    public void Endpoints_on_a_bridge_reach_each_other_and_leave_nothing_behind()
    {
        var www = WebRoot("hello-from-b");
        try
        {
            // Other suites make links of their own meanwhile: what must be gone is what this agent (table) made.
            string[] ours = [];
            using (var f = new BridgeFixture())
            {
                ours = [HostNetwork.HostEndPrefix + f.Network.AgentTag, HostNetwork.PeerPrefix + f.Network.AgentTag, f.Bridge.Name];
                f.Network.EnsureBridge(f.Bridge);
                f.Network.EnsureBridge(f.Bridge); // idempotent
                var a = f.Container(2, out var hostEndA);
                var b = f.Container(3, out _);
                Assert.StartsWith(HostNetwork.HostEndPrefix, hostEndA);
                Assert.Equal(hostEndA, f.Network.AttachEndpoint(f.Endpoint(a, 2))); // declared again: the same endpoint

                var eth0 = a.Exec("/usr/sbin/ip", "-o", "addr", "show", "dev", "eth0").Stdout;
                Assert.Contains("10.252.", eth0);
                Assert.Contains($"{f.Address(2)}/24", eth0);
                Assert.Contains("02:42:0a:fc:00:02", a.Exec("/usr/sbin/ip", "link", "show", "eth0").Stdout);
                Assert.Contains($"default via {f.Bridge.Gateway} dev eth0", a.Exec("/usr/sbin/ip", "route").Stdout);
                Assert.Contains($"master {f.Bridge.Name}", TestProcess.Ip("link", "show", hostEndA));
                Assert.Contains(f.Bridge.Subnet, f.Network.RoutedSubnets());

                b.StartHttpd(www);
                Assert.Equal("hello-from-b", a.Get($"http://{f.Address(3)}/"));

                f.Network.DetachEndpoint(a.Path, "eth0");
                f.Network.DetachEndpoint(a.Path, "eth0"); // gone already: not an error
                f.Network.DetachEndpoint("/run/netns/ccnt-does-not-exist", "eth0");
                Assert.DoesNotContain(hostEndA, TestProcess.LinkNames());
                Assert.NotEqual(0, b.Exec("/bin/busybox", "wget", "-q", "-T", "1", "-O", "-", $"http://{f.Address(2)}/").ExitCode);

                f.Network.RemoveBridge(f.Bridge.Name);
                f.Network.RemoveBridge(f.Bridge.Name); // idempotent
                Assert.False(TableExists(f.Table), "the last bridge's removal deletes the table");
                Assert.DoesNotContain(f.Bridge.Name, TestProcess.LinkNames());
            }
            // a namespace's links go when the kernel's cleanup of the namespace runs, a moment after its last user
            bool Leftover() => TestProcess.LinkNames().Any(l => ours.Any(prefix => l.StartsWith(prefix, StringComparison.Ordinal)));
            for (var i = 0; i < 100 && Leftover(); i++)
                Thread.Sleep(50);
            Assert.DoesNotContain(TestProcess.LinkNames(), l => ours.Any(prefix => l.StartsWith(prefix, StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(www, recursive: true);
        }
    }

    [RequiresRootFact]
    public async Task Published_ports_answer_on_localhost_the_gateway_a_host_address_and_from_the_container_itself()
    {
        var www = WebRoot("published");
        try
        {
            using var f = new BridgeFixture();
            f.Network.EnsureBridge(f.Bridge);
            var c = f.Container(2, out _);
            var outside = f.Namespace(linkToHost: true);
            c.StartHttpd(www);
            using var udp = c.StartUdpEcho(5353);
            var tcpPort = f.HostPort;
            var udpPort = f.HostPort + 1;
            f.Network.SetPortForwards("c1", [
                new PortForward("tcp", null, tcpPort, f.Address(2), 80, f.Bridge.Name),
                new PortForward("udp", null, udpPort, f.Address(2), 5353, f.Bridge.Name),
            ]);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal("published", await GetWithRetry(http, $"http://127.0.0.1:{tcpPort}/"));
            Assert.Equal("published", await GetWithRetry(http, $"http://{f.Bridge.Gateway}:{tcpPort}/"));
            Assert.Equal("published", outside.Get($"http://{outside.HostAddress}:{tcpPort}/"));
            // Hairpin: the container reaches its own published port through a host address.
            Assert.Equal("published", c.Get($"http://{f.Bridge.Gateway}:{tcpPort}/"));
            Assert.Equal("pong:ping", await UdpExchange(IPAddress.Loopback, udpPort, "ping"));

            // Replacing with a forward on one host address only.
            f.Network.SetPortForwards("c1", [new PortForward("tcp", IPAddress.Loopback, tcpPort + 2, f.Address(2), 80, f.Bridge.Name)]);
            Assert.Equal("published", await GetWithRetry(http, $"http://127.0.0.1:{tcpPort + 2}/"));
            Assert.Null(outside.Get($"http://{outside.HostAddress}:{tcpPort + 2}/", attempts: 1));
            Assert.Null(outside.Get($"http://{outside.HostAddress}:{tcpPort}/", attempts: 1));

            f.Network.RemovePortForwards("c1");
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{tcpPort + 2}/"));
            Assert.DoesNotContain("comment \"c1\"", TestProcess.Run("/usr/sbin/nft", "list", "table", "ip", f.Table).Stdout);
        }
        finally
        {
            Directory.Delete(www, recursive: true);
        }
    }

    [RequiresRootFact]
    public void Containers_reach_outside_through_the_hosts_address()
    {
        var www = WebRoot("outside");
        try
        {
            using var f = new BridgeFixture();
            f.Network.EnsureBridge(f.Bridge);
            var c = f.Container(2, out _);
            var outside = f.Namespace(linkToHost: true);
            outside.StartHttpd(www);
            // busybox httpd reports the peer in IPv6-mapped form.
            Assert.Equal($"[::ffff:{outside.HostAddress}]", c.Get($"http://{outside.PeerAddress}/cgi-bin/addr")?.Trim());
        }
        finally
        {
            Directory.Delete(www, recursive: true);
        }
    }

    [RequiresRootFact]
    public void An_internal_bridge_keeps_its_traffic_inside()
    {
        var www = WebRoot("inside");
        try
        {
            using var f = new BridgeFixture(internalBridge: true);
            f.Network.EnsureBridge(f.Bridge);
            var a = f.Container(2, out _);
            var b = f.Container(3, out _);
            var outside = f.Namespace(linkToHost: true);
            outside.StartHttpd(www);
            b.StartHttpd(www);
            Assert.Equal("inside", a.Get($"http://{f.Address(3)}/"));
            Assert.Null(a.Get($"http://{outside.PeerAddress}/", attempts: 1));
        }
        finally
        {
            Directory.Delete(www, recursive: true);
        }
    }

    [RequiresRootFact]
    public void Bridges_of_one_agent_are_isolated_from_each_other()
    {
        var www = WebRoot("other-bridge");
        try
        {
            using var f = new BridgeFixture();
            var second = new BridgeSettings("cctc" + f.Bridge.Name[4..], IPNetwork.Parse($"10.253.{Random.Shared.Next(256)}.0/24"),
                IPAddress.Any);
            second = second with { Gateway = IPAddress.Parse(second.Subnet.BaseAddress.ToString()[..^1] + "1") };
            f.Network.EnsureBridge(f.Bridge);
            try
            {
                f.Network.EnsureBridge(second);
                var a = f.Container(2, out _);
                var b = f.Namespace();
                f.Network.AttachEndpoint(new EndpointSettings(b.Path, second.Name, "eth0",
                    IPAddress.Parse(second.Gateway.ToString()[..^1] + "2"), 24, second.Gateway,
                    System.Net.NetworkInformation.PhysicalAddress.Parse("02-42-0a-fd-00-02")));
                b.StartHttpd(www);
                Assert.Null(a.Get($"http://{second.Gateway.ToString()[..^1]}2/", attempts: 1));

                f.Network.RemoveBridge(second.Name);
                Assert.True(TableExists(f.Table), "another bridge still needs the table");
                Assert.DoesNotContain("cctc", TestProcess.Run("/usr/sbin/nft", "list", "table", "ip", f.Table).Stdout);
            }
            finally
            {
                f.Network.RemoveBridge(second.Name);
            }
        }
        finally
        {
            Directory.Delete(www, recursive: true);
        }
    }

    [RequiresRootFact]
    public void Sweep_deletes_pairs_left_in_the_host_and_only_those()
    {
        using var f = new BridgeFixture();
        var ours = HostNetwork.HostEndPrefix + f.Network.AgentTag + "deadbeef";
        var oursPeer = HostNetwork.PeerPrefix + f.Network.AgentTag + "deadbeef";
        var foreign = "cctx" + f.Bridge.Name[4..];
        try
        {
            using (var rtnl = RouteNetlink.Open())
            {
                rtnl.CreateVeth(ours, oursPeer, 1500);
                rtnl.CreateVeth(foreign, foreign + "p", 1500);
                var e = Assert.Throws<NetlinkException>(() => rtnl.CreateVeth(ours, oursPeer, 1500));
                Assert.StartsWith($"creating veth {ours} failed: File exists", e.Message);
            }
            f.Network.SweepStaleEndpoints();
            var links = TestProcess.LinkNames();
            Assert.DoesNotContain(ours, links);
            Assert.DoesNotContain(oursPeer, links);
            Assert.Contains(foreign, links);
        }
        finally
        {
            TestProcess.Run("/usr/sbin/ip", "link", "del", ours);
            TestProcess.Run("/usr/sbin/ip", "link", "del", foreign);
        }
    }

    private static async Task<string> GetWithRetry(HttpClient http, string url)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (HttpRequestException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<string> UdpExchange(IPAddress address, int port, string payload)
    {
        using var client = new UdpClient(AddressFamily.InterNetwork);
        client.Connect(address, port);
        for (var attempt = 0; ; attempt++)
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(payload));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                var r = await client.ReceiveAsync(timeout.Token);
                return Encoding.ASCII.GetString(r.Buffer);
            }
            catch (OperationCanceledException) when (attempt < 5)
            {
            }
        }
    }
}
