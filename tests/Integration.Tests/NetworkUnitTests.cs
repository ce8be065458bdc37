using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ContainerConsole.Agent;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Networking;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContainerConsole.Integration.Tests;

/// <summary>What the engine asked of the kernel, in order.</summary>
internal sealed class RecordingHostNetwork : IHostNetwork
{
    public List<string> Calls { get; } = [];
    public Dictionary<string, BridgeSettings> Bridges { get; } = [];
    public List<EndpointSettings> Attached { get; } = [];
    public Dictionary<string, IReadOnlyList<PortForward>> Forwards { get; } = [];
    public List<IPNetwork> Routed { get; } = [IPNetwork.Parse("172.17.0.0/16")];
    public string? FailAttach { get; set; }

    public void EnsureBridge(BridgeSettings bridge)
    {
        Calls.Add($"ensure {bridge.Name} {bridge.Subnet} {bridge.Gateway}");
        Bridges[bridge.Name] = bridge;
    }

    public void RemoveBridge(string name)
    {
        Calls.Add($"remove {name}");
        Bridges.Remove(name);
    }

    public IReadOnlyList<IPNetwork> RoutedSubnets() => [.. Routed, .. Bridges.Values.Select(b => b.Subnet)];

    public string AttachEndpoint(EndpointSettings endpoint)
    {
        if (FailAttach == endpoint.InterfaceName)
            throw new InvalidOperationException("attach failed");
        Calls.Add($"attach {endpoint.InterfaceName} {endpoint.Address}/{endpoint.PrefixLength} via {endpoint.Gateway?.ToString() ?? "-"} on {endpoint.BridgeName}");
        Attached.Add(endpoint);
        return "veth" + Attached.Count;
    }

    public void DetachEndpoint(string netnsPath, string interfaceName) => Calls.Add($"detach {interfaceName}");

    public void SetPortForwards(string ownerId, IReadOnlyList<PortForward> forwards)
    {
        Calls.Add($"forwards {ownerId[..4]} {string.Join(",", forwards.Select(f => $"{f.Protocol}:{f.HostIp?.ToString() ?? "*"}:{f.HostPort}->{f.ContainerIp}:{f.ContainerPort}"))}");
        Forwards[ownerId] = forwards;
    }

    public void RemovePortForwards(string ownerId)
    {
        Calls.Add($"unforward {ownerId[..4]}");
        Forwards.Remove(ownerId);
    }

    public void SweepStaleEndpoints() => Calls.Add("sweep");
}

public sealed class NetworkUnitTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-netunit-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly RecordingHostNetwork _host = new();
    private readonly EventBus _events = new();

    public NetworkUnitTests()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "resolv.conf"), "nameserver 127.0.0.53\nnameserver 10.9.9.9\nsearch example.test\noptions edns0\n");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private AgentOptions Options => new()
    {
        DataRoot = Path.Combine(_dir, "data"), Bridge = "cctest0", NetworkLockFile = Path.Combine(_dir, "lock"), HostResolvConf = Path.Combine(_dir, "resolv.conf"),
    };

    private NetworkManager Manager()
    {
        var m = new NetworkManager(Options, new NetworkStore(Options.NetworkDir), _host, _events, NullLogger<NetworkManager>.Instance);
        m.Initialize();
        return m;
    }

    private static NetworkRecord Net(string subnet, string gateway, params string[] used) => new()
    {
        Name = "n", Subnet = subnet, Gateway = gateway,
        Endpoints = used.Select((a, i) => (a, i)).ToDictionary(x => $"c{x.i}", x => new EndpointRecord { Address = x.a }),
    };

    private ContainerModel Container(string name, string? mode = null, HostConfig? hc = null)
    {
        var c = new ContainerModel
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), Name = name,
            HostConfig = hc ?? new HostConfig(),
        };
        c.HostConfig.NetworkMode = mode;
        Directory.CreateDirectory(Path.Combine(_dir, "containers", c.Id));
        return c;
    }

    private string DirOf(ContainerModel c) => Path.Combine(_dir, "containers", c.Id);

    [Fact]
    public void Ipam_hands_out_the_lowest_free_address_after_the_gateway_and_never_one_in_use()
    {
        Assert.Equal("10.5.0.2", Ipam.Allocate(Net("10.5.0.0/24", "10.5.0.1"), null).ToString());
        Assert.Equal("10.5.0.4", Ipam.Allocate(Net("10.5.0.0/24", "10.5.0.1", "10.5.0.2", "10.5.0.3"), null).ToString());
        Assert.Equal("10.5.0.3", Ipam.Allocate(Net("10.5.0.0/24", "10.5.0.1", "10.5.0.2", "10.5.0.4"), null).ToString());
        var ranged = Net("10.5.0.0/16", "10.5.0.1");
        ranged.IpRange = "10.5.7.0/24";
        Assert.Equal("10.5.7.0", Ipam.Allocate(ranged, null).ToString());
    }

    [Fact]
    public void Ipam_reports_a_full_network_and_a_taken_fixed_address()
    {
        var full = Net("10.6.0.0/30", "10.6.0.1", "10.6.0.2");
        full.Name = "tiny";
        Assert.Equal("no available IPv4 addresses on network tiny", Assert.Throws<EngineException>(() => Ipam.Allocate(full, null)).Message);
        var e = Assert.Throws<EngineException>(() => Ipam.Allocate(Net("10.6.0.0/24", "10.6.0.1", "10.6.0.9"), "10.6.0.9"));
        Assert.Equal(409, e.Status);
        Assert.Contains("address 10.6.0.9 already in use", e.Message);
        Assert.Equal(409, Assert.Throws<EngineException>(() => Ipam.Allocate(Net("10.6.0.0/24", "10.6.0.1"), "10.6.0.1")).Status); // the gateway's
        Assert.Equal("10.6.0.50", Ipam.Allocate(Net("10.6.0.0/24", "10.6.0.1"), "10.6.0.50").ToString());
        Assert.Equal(400, Assert.Throws<EngineException>(() => Ipam.Allocate(Net("10.6.0.0/24", "10.6.0.1"), "10.7.0.5")).Status);
        Assert.Equal("02:42:0a:06:00:32", Ipam.MacFor(IPAddress.Parse("10.6.0.50")));
    }

    [Fact]
    public void Subnets_come_from_dockers_pool_skipping_what_is_taken()
    {
        Assert.Equal("172.17.0.0/16", SubnetPool.Choose([]).ToString());
        Assert.Equal("172.18.0.0/16", SubnetPool.Choose([IPNetwork.Parse("172.17.0.0/16")]).ToString());
        Assert.Equal("172.19.0.0/16", SubnetPool.Choose([IPNetwork.Parse("172.17.0.0/16"), IPNetwork.Parse("172.18.5.0/24")]).ToString());
        var all172 = Enumerable.Range(17, 15).Select(i => IPNetwork.Parse($"172.{i}.0.0/16")).ToList();
        Assert.Equal("192.168.0.0/20", SubnetPool.Choose(all172).ToString());
        Assert.Equal("192.168.16.0/20", SubnetPool.Choose([.. all172, IPNetwork.Parse("192.168.1.0/24")]).ToString());
        Assert.Equal("192.168.0.0/20", SubnetPool.Choose([IPNetwork.Parse("172.16.0.0/12")]).ToString());
    }

    private static HostConfig Ports(string json, bool all = false) => new()
    {
        PortBindings = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json), PublishAllPorts = all,
    };

    [Fact]
    public void Port_bindings_and_publish_all_become_requests()
    {
        var r = PortPublishing.Requests(Ports("""{"80/tcp":[{"HostIp":"","HostPort":"8080"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":""}]}""", all: true), ["80/tcp", "443/tcp"]);
        Assert.Equal([new PortRequest("tcp", 80, "", 8080), new PortRequest("udp", 53, "127.0.0.1", 0), new PortRequest("tcp", 443, "", 0)], r);
        Assert.Contains("invalid containerPort", Assert.Throws<EngineException>(() => PortPublishing.Requests(Ports("""{"x/tcp":null}"""), [])).Message);
        Assert.Contains("invalid hostPort", Assert.Throws<EngineException>(() => PortPublishing.Requests(Ports("""{"80/tcp":[{"HostPort":"99999"}]}"""), [])).Message);
        Assert.Contains("invalid proto", Assert.Throws<EngineException>(() => PortPublishing.Requests(Ports("""{"80/icmp":null}"""), [])).Message);
    }

    [Fact]
    public void Host_ports_are_assigned_from_the_range_and_conflicts_say_what_dockerd_says()
    {
        var taken = new[] { new PublishedPort("tcp", 80, "0.0.0.0", 8080) };
        var e = Assert.Throws<EngineException>(() => PortPublishing.Assign([new PortRequest("tcp", 80, "", 8080)], taken, (40000, 40010), (_, _, _) => true));
        Assert.Equal(500, e.Status);
        Assert.Equal("Bind for 0.0.0.0:8080 failed: port is already allocated", e.Message);
        // the same port over udp is another port; one the host's sockets hold is skipped
        var assigned = PortPublishing.Assign([new PortRequest("udp", 53, "", 8080), new PortRequest("tcp", 80, "127.0.0.1", 0), new PortRequest("tcp", 81, "", 0)],
            taken, (40000, 40010), (_, _, port) => port != 40000);
        Assert.Equal([new PublishedPort("udp", 53, "0.0.0.0", 8080), new PublishedPort("tcp", 80, "127.0.0.1", 40001), new PublishedPort("tcp", 81, "0.0.0.0", 40002)], assigned);
        Assert.Equal((32768, 60999), PortPublishing.EphemeralRange("32768\t60999\n"));
        var map = PortPublishing.PortMap(["80/tcp", "443/tcp"], assigned);
        Assert.Null(map["443/tcp"]);
        Assert.Equal("40002", map["81/tcp"]![0]["HostPort"]);
    }

    [Fact]
    public void Test_bind_sees_a_port_in_use()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.False(PortPublishing.CanBind("tcp", "127.0.0.1", port));
        Assert.False(PortPublishing.CanBind("tcp", "0.0.0.0", port));
    }

    [Fact]
    public void Hosts_file_has_localhost_the_extra_hosts_and_the_container()
    {
        var hosts = NameFiles.Hosts("web", IPAddress.Parse("172.18.0.2"), ["db:10.1.1.1", "gw:host-gateway"], IPAddress.Parse("172.18.0.1"));
        var lines = hosts.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("127.0.0.1\tlocalhost", lines[0]);
        Assert.Equal(["10.1.1.1\tdb", "172.18.0.1\tgw", "172.18.0.2\tweb"], lines[^3..]);
        Assert.Throws<EngineException>(() => NameFiles.ParseExtraHost("nohost", null));
        Assert.Throws<EngineException>(() => NameFiles.ParseExtraHost("x:not-an-ip", null));
    }

    [Fact]
    public void Resolv_conf_drops_loopback_nameservers_and_takes_the_containers_settings()
    {
        const string host = "# comment\nnameserver 127.0.0.53\nnameserver 10.9.9.9\nsearch a.test b.test\noptions edns0\n";
        Assert.Equal("nameserver 10.9.9.9\nsearch a.test b.test\noptions edns0\n", NameFiles.ResolvConf(host, [], [], [], null));
        Assert.Equal("nameserver 1.1.1.1\nsearch c.test\noptions ndots:2\n", NameFiles.ResolvConf(host, ["1.1.1.1"], ["c.test"], ["ndots:2"], null));
        Assert.Equal("nameserver 172.20.0.1\nsearch a.test b.test\noptions edns0\n", NameFiles.ResolvConf(host, [], [], [], IPAddress.Parse("172.20.0.1")));
        Assert.Equal(["127.0.0.53:53", "10.9.9.9:53"], NameFiles.Upstreams(host).Select(e => e.ToString()));
    }

    [Fact]
    public void Dns_answers_known_names_with_a_records_and_leaves_others_to_the_upstream()
    {
        IReadOnlyList<IPAddress>? Lookup(string name) => name == "web" ? [IPAddress.Parse("172.20.0.3")] : null;
        var answer = DnsMessage.Answer(DnsMessage.Query(0x1234, "WEB"), Lookup)!;
        Assert.Equal([0x12, 0x34], answer[..2]);
        Assert.Equal(0x80, answer[2] & 0x80); // a response
        Assert.Equal(0, answer[3] & 0x0F); // NOERROR
        Assert.Equal(1, answer[7]); // one answer
        Assert.Equal([172, 20, 0, 3], answer[^4..]);
        Assert.Equal([0xC0, 0x0C], answer[^16..^14]); // name pointer to the question
        var aaaa = DnsMessage.Answer(DnsMessage.Query(7, "web", type: 28), Lookup)!;
        Assert.Equal(0, aaaa[7]); // the name exists: no data, not NXDOMAIN
        Assert.Equal(0, aaaa[3] & 0x0F);
        Assert.Null(DnsMessage.Answer(DnsMessage.Query(8, "example.org"), Lookup));
        var q = DnsMessage.ReadQuestion(DnsMessage.Query(9, "a.b.c"))!;
        Assert.Equal(("a.b.c", (ushort)1), (q.Name, q.Type));
        Assert.Equal(2, DnsMessage.Error(DnsMessage.Query(9, "x"), DnsMessage.RcodeServFail)[3] & 0x0F);
        Assert.Null(DnsMessage.ReadQuestion([1, 2, 3]));
    }

    [Fact]
    public async Task Dns_server_answers_over_udp_and_tcp_and_forwards_unknown_names()
    {
        // a fake upstream on loopback that answers everything with 9.9.9.9
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var upstreamTask = Task.Run(async () =>
        {
            var r = await upstream.ReceiveAsync();
            var reply = DnsMessage.Answer(r.Buffer, _ => [IPAddress.Parse("9.9.9.9")])!;
            await upstream.SendAsync(reply, r.RemoteEndPoint);
        });
        await using var server = new DnsServer(new IPEndPoint(IPAddress.Loopback, 0), n => n == "db" ? [IPAddress.Parse("10.0.0.7")] : null,
            [(IPEndPoint)upstream.Client.LocalEndPoint!], NullLogger.Instance);
        using var client = new UdpClient();
        client.Connect(server.UdpEndPoint);
        await client.SendAsync(DnsMessage.Query(1, "db"));
        var local = await client.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([10, 0, 0, 7], local.Buffer[^4..]);
        await client.SendAsync(DnsMessage.Query(2, "elsewhere.test"));
        var forwarded = await client.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([9, 9, 9, 9], forwarded.Buffer[^4..]);
        await upstreamTask;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.TcpEndPoint);
        var query = DnsMessage.Query(3, "db");
        var stream = tcp.GetStream();
        await stream.WriteAsync(new byte[] { 0, (byte)query.Length }.Concat(query).ToArray());
        var length = new byte[2];
        await stream.ReadExactlyAsync(length);
        var body = new byte[length[0] << 8 | length[1]];
        await stream.ReadExactlyAsync(body);
        Assert.Equal([10, 0, 0, 7], body[^4..]);
    }

    [Fact]
    public void Network_list_filters_follow_docker()
    {
        var builtin = new NetworkRecord { Id = "aaa1", Name = "bridge", Builtin = true };
        var used = new NetworkRecord { Id = "bbb2", Name = "frontend", Labels = new() { ["tier"] = "web" }, Endpoints = new() { ["c"] = new EndpointRecord() } };
        var idle = new NetworkRecord { Id = "ccc3", Name = "backend" };
        List<string> Names(string json) => new[] { builtin, used, idle }.Where(n => NetworksApi.Matches(n, DockerFilters.Parse(json, "name", "id", "label", "driver", "type", "dangling", "scope")))
            .Select(n => n.Name).ToList();
        Assert.Equal(["frontend", "backend"], Names("""{"name":["end"]}"""));
        Assert.Equal(["backend"], Names("""{"id":["ccc"]}"""));
        Assert.Equal(["frontend"], Names("""{"label":["tier=web"]}"""));
        Assert.Equal(["bridge"], Names("""{"type":["builtin"]}"""));
        Assert.Equal(["frontend", "backend"], Names("""{"type":["custom"]}"""));
        Assert.Equal(["backend"], Names("""{"dangling":["true"]}"""));
        Assert.Equal(["bridge", "frontend"], Names("""{"dangling":["false"]}"""));
        Assert.Throws<EngineException>(() => Names("""{"type":["odd"]}"""));
    }

    [Fact]
    public void The_default_bridge_gets_a_free_subnet_and_the_agents_bridge_name()
    {
        var m = Manager();
        Assert.Equal(["bridge", "host", "none"], m.All.Select(n => n.Name).Order());
        var bridge = m.Get("bridge");
        Assert.Equal(("cctest0", "172.18.0.0/16", "172.18.0.1"), (bridge.BridgeName, bridge.Subnet, bridge.Gateway)); // 172.17 is routed
        Assert.Equal(["sweep", "ensure cctest0 172.18.0.0/16 172.18.0.1"], _host.Calls);
        // a restart keeps the network (and its id and subnet), and declares the bridge again
        var again = Manager();
        Assert.Equal(bridge.Id, again.Get("bridge").Id);
        Assert.Equal("ensure cctest0 172.18.0.0/16 172.18.0.1", _host.Calls[^1]);
    }

    [Fact]
    public void A_container_start_reserves_addresses_and_ports_and_its_exit_releases_them()
    {
        var m = Manager();
        var c = Container("web", hc: Ports("""{"80/tcp":[{"HostIp":"","HostPort":"18080"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":"18053"}]}"""));
        c.HostConfig.ExtraHosts = ["gw:host-gateway"];
        m.ResolveAtCreate(c, null, _ => throw new InvalidOperationException());
        Assert.Equal("bridge", c.HostConfig.NetworkMode);
        var plan = m.Prepare(c, DirOf(c), [], _ => throw new InvalidOperationException());
        Assert.Equal("172.18.0.2", plan.Endpoints.Single().Endpoint.Address);
        Assert.Contains("172.18.0.1\tgw\n172.18.0.2\t" + c.Id[..12] + "\n", File.ReadAllText(Path.Combine(DirOf(c), "hosts")));
        Assert.Equal("nameserver 10.9.9.9\nsearch example.test\noptions edns0\n", File.ReadAllText(Path.Combine(DirOf(c), "resolv.conf")));
        m.Attach(c, plan, 4242);
        Assert.Equal("attach eth0 172.18.0.2/16 via 172.18.0.1 on cctest0", _host.Calls[^2]);
        Assert.Equal($"forwards {c.Id[..4]} tcp:*:18080->172.18.0.2:80,udp:127.0.0.1:18053->172.18.0.2:53", _host.Calls[^1]);
        Assert.Equal("/proc/4242/ns/net", _host.Attached[^1].NetnsPath);
        Assert.Equal(2, m.PortsOf(c.Id).Count);

        // a second container gets the next address, and the same host port is refused with dockerd's message
        var other = Container("other", hc: Ports("""{"81/tcp":[{"HostPort":"18080"}]}"""));
        m.ResolveAtCreate(other, null, _ => throw new InvalidOperationException());
        var e = Assert.Throws<EngineException>(() => m.Prepare(other, DirOf(other), [], _ => throw new InvalidOperationException()));
        Assert.Equal("Bind for 0.0.0.0:18080 failed: port is already allocated", e.Message);
        Assert.Empty(m.EndpointsOf(other.Id)); // the failed start holds no address

        m.Release(c.Id);
        Assert.Equal($"unforward {c.Id[..4]}", _host.Calls[^1]);
        Assert.Empty(m.EndpointsOf(c.Id));
        Assert.Empty(m.PortsOf(c.Id));
        Assert.Equal("172.18.0.2", m.Prepare(other, DirOf(other), [], _ => throw new InvalidOperationException()).Endpoints[0].Endpoint.Address);
    }

    [Fact]
    public void A_failed_attach_takes_back_the_interfaces_already_made()
    {
        var m = Manager();
        var n = m.Create(new NetworkCreateRequest { Name = "second" });
        var c = Container("two");
        m.ResolveAtCreate(c, new NetworkingConfig { EndpointsConfig = new() { ["second"] = new EndpointConfig() } }, _ => throw new InvalidOperationException());
        Assert.Equal(2, c.Networks.Count);
        var plan = m.Prepare(c, DirOf(c), [], _ => throw new InvalidOperationException());
        _host.FailAttach = "eth1";
        Assert.Contains("attach failed", Assert.Throws<EngineException>(() => m.Attach(c, plan, 77)).Message);
        Assert.Equal("detach eth0", _host.Calls[^1]);
        m.Release(c.Id);
        Assert.Empty(m.Get("second").Endpoints);
        Assert.Equal(n.Id, m.Get("second").Id);
    }

    [Fact]
    public void Agent_restart_releases_stopped_containers_and_declares_forwards_of_running_ones_again()
    {
        var m = Manager();
        var running = Container("running", hc: Ports("""{"80/tcp":[{"HostPort":"18081"}]}"""));
        var stopped = Container("stopped", hc: Ports("""{"80/tcp":[{"HostPort":"18082"}]}"""));
        foreach (var c in new[] { running, stopped })
        {
            m.ResolveAtCreate(c, null, _ => throw new InvalidOperationException());
            m.Attach(c, m.Prepare(c, DirOf(c), [], _ => throw new InvalidOperationException()), 100);
        }
        running.State.Status = "running";
        var restarted = Manager();
        _host.Calls.Clear();
        restarted.Restore([running, stopped]);
        Assert.Contains($"unforward {stopped.Id[..4]}", _host.Calls);
        Assert.Contains($"forwards {running.Id[..4]} tcp:*:18081->172.18.0.2:80", _host.Calls);
        Assert.Empty(restarted.EndpointsOf(stopped.Id));
        Assert.Single(restarted.EndpointsOf(running.Id));
        Assert.Single(restarted.PortsOf(running.Id));
    }

    [Fact]
    public async Task User_networks_are_created_removed_and_refused_as_docker_does()
    {
        var m = Manager();
        var n = m.Create(new NetworkCreateRequest
        {
            Name = "app", Internal = true, Labels = new() { ["a"] = "b" },
            IPAM = new NetworkIpamRequest { Config = [new NetworkIpamConfig { Subnet = "10.77.0.0/24", IPRange = "10.77.0.128/25" }] },
        });
        Assert.Equal(("cc-" + n.Id[..12], "10.77.0.0/24", "10.77.0.1", "10.77.0.128/25"), (n.BridgeName, n.Subnet, n.Gateway, n.IpRange));
        Assert.True(_host.Bridges[n.BridgeName].Internal);
        Assert.Equal(409, Assert.Throws<EngineException>(() => m.Create(new NetworkCreateRequest { Name = "app" })).Status);
        Assert.Equal(403, Assert.Throws<EngineException>(() => m.Create(new NetworkCreateRequest
        {
            Name = "overlapping", IPAM = new NetworkIpamRequest { Config = [new NetworkIpamConfig { Subnet = "10.77.0.0/16" }] },
        })).Status);
        var named = m.Create(new NetworkCreateRequest { Name = "named", Options = new() { [NetworkManager.BridgeNameOption] = "ccnamed" } });
        Assert.Equal(("ccnamed", "172.19.0.0/16"), (named.BridgeName, named.Subnet)); // 172.17 routed, 172.18 the default bridge

        var c = Container("svc");
        m.ResolveAtCreate(c, new NetworkingConfig { EndpointsConfig = new() { ["app"] = new EndpointConfig { Aliases = ["api"] } } }, _ => throw new InvalidOperationException());
        c.HostConfig.NetworkMode = "app";
        m.ResolveAtCreate(c, new NetworkingConfig { EndpointsConfig = new() { ["app"] = new EndpointConfig { Aliases = ["api"] } } }, _ => throw new InvalidOperationException());
        Assert.Equal([n.Id], c.Networks.Keys);
        var plan = m.Prepare(c, DirOf(c), [], _ => throw new InvalidOperationException());
        Assert.Equal("10.77.0.128", plan.Endpoints[0].Endpoint.Address);
        Assert.StartsWith("nameserver 10.77.0.1\n", File.ReadAllText(Path.Combine(DirOf(c), "resolv.conf")));
        Assert.Equal(["10.77.0.128"], m.Lookup(n.Id, "api")!.Select(a => a.ToString()));
        Assert.Equal(["10.77.0.128"], m.Lookup(n.Id, "SVC")!.Select(a => a.ToString()));
        Assert.Equal(["10.77.0.128"], m.Lookup(n.Id, c.Id[..12])!.Select(a => a.ToString()));
        Assert.Null(m.Lookup(n.Id, "nobody"));

        var e = await Assert.ThrowsAsync<EngineException>(() => m.RemoveAsync("app"));
        Assert.Equal(403, e.Status);
        Assert.Contains("has active endpoints", e.Message);
        Assert.Equal(403, (await Assert.ThrowsAsync<EngineException>(() => m.RemoveAsync("bridge"))).Status);
        m.Release(c.Id);
        await m.RemoveAsync("app");
        Assert.Equal($"remove {n.BridgeName}", _host.Calls[^1]);
        Assert.Equal(["named"], await m.PruneAsync(_ => true));
        Assert.Equal(["bridge", "host", "none"], m.All.Select(x => x.Name).Order());
        using var events = _events.Subscribe();
        Assert.Equal(["create", "create", "destroy", "destroy"], events.History.Where(x => x.Type == "network").Select(x => x.Action));
        await m.DisposeAsync();
    }

    [Fact]
    public void Connect_and_disconnect_change_a_running_containers_interfaces()
    {
        var m = Manager();
        var n = m.Create(new NetworkCreateRequest { Name = "extra" });
        var c = Container("live");
        m.ResolveAtCreate(c, null, _ => throw new InvalidOperationException());
        m.Attach(c, m.Prepare(c, DirOf(c), [], _ => throw new InvalidOperationException()), 555);
        c.State.Status = "running";
        m.Connect(c, n, new EndpointConfig { Aliases = ["x"] });
        Assert.Equal("attach eth1 172.19.0.2/16 via - on cc-" + n.Id[..12], _host.Calls[^1]);
        Assert.Equal(403, Assert.Throws<EngineException>(() => m.Connect(c, n, new EndpointConfig())).Status);
        Assert.Equal(400, Assert.Throws<EngineException>(() => m.Connect(c, m.Get("host"), new EndpointConfig())).Status);
        Assert.Equal(400, Assert.Throws<EngineException>(() => m.ResolveAtCreate(Container("aliased"),
            new NetworkingConfig { EndpointsConfig = new() { ["bridge"] = new EndpointConfig { Aliases = ["y"] } } }, _ => throw new InvalidOperationException())).Status);
        m.Disconnect(c, n, force: false);
        Assert.Equal("detach eth1", _host.Calls[^1]);
        Assert.Empty(m.Get("extra").Endpoints);
        Assert.Equal(403, Assert.Throws<EngineException>(() => m.Disconnect(c, n, force: false)).Status);
        m.Disconnect(c, n, force: true); // nothing to do, no error
    }

    [Fact]
    public void Network_modes_resolve_at_create()
    {
        var m = Manager();
        var target = Container("target");
        var c = Container("joiner", mode: "container:target");
        m.ResolveAtCreate(c, null, name => name == "target" ? target : throw EngineException.NoSuchContainer(name));
        Assert.Empty(c.Networks);
        Assert.Equal(409, Assert.Throws<EngineException>(() => m.Prepare(c, DirOf(c), [], _ => target)).Status); // the target does not run
        var none = Container("quiet", mode: "none");
        m.ResolveAtCreate(none, null, _ => throw new InvalidOperationException());
        Assert.Empty(m.Prepare(none, DirOf(none), [], _ => throw new InvalidOperationException()).Endpoints);
        Assert.Equal(400, Assert.Throws<EngineException>(() => m.ResolveAtCreate(Container("x", mode: "nosuch"), null, _ => throw new InvalidOperationException())).Status);
        Assert.Equal(400, Assert.Throws<EngineException>(() => m.ResolveAtCreate(Container("y", hc: new HostConfig { Dns = ["not-ip"] }), null, _ => throw new InvalidOperationException())).Status);
        var host = Container("h", mode: "host");
        m.ResolveAtCreate(host, null, _ => throw new InvalidOperationException());
        var spec = ContainerConsole.Runtime.Spec.DefaultSpec.Create("rootfs", ["sh"], "h");
        m.ApplyToSpec(host, spec, "/x", null);
        Assert.DoesNotContain(spec.Linux!.Namespaces, ns => ns.Type == "network");
        Assert.Contains(spec.Mounts, mnt => mnt.Destination == "/etc/resolv.conf" && mnt.Source == "/x/resolv.conf");
        var joined = ContainerConsole.Runtime.Spec.DefaultSpec.Create("rootfs", ["sh"], "j");
        m.ApplyToSpec(c, joined, "/y", "/proc/9/ns/net");
        Assert.Equal("/proc/9/ns/net", joined.Linux!.Namespaces.Single(ns => ns.Type == "network").Path);
    }
}
