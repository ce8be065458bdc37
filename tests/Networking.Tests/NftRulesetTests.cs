using System.Net;
using ContainerConsole.Networking.Nft;

namespace ContainerConsole.Networking.Tests;

public class NftRulesetTests
{
    private static readonly BridgeSettings Bridge = new("br0", IPNetwork.Parse("172.18.0.0/16"), IPAddress.Parse("172.18.0.1"));

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void A_masquerading_bridge_gets_its_chains_and_dispatch_elements()
    {
        var lines = Lines(NftRuleset.Bridge("t", Bridge));
        Assert.Equal("table ip t {", lines[0]);
        Assert.Contains("  chain from_br0 { }", lines);
        Assert.Contains("  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }", lines);
        Assert.Contains("add rule ip t prerouting fib daddr type local jump ports", lines);
        Assert.Contains("add rule ip t output fib daddr type local jump ports", lines);
        Assert.Contains("add rule ip t ports dnat ip to ip daddr . tcp dport map @ports_tcp_ip", lines);
        Assert.Contains("add rule ip t ports dnat ip to udp dport map @ports_udp_any", lines);
        Assert.Contains("add rule ip t from_br0 oifname \"br0\" accept", lines);
        Assert.Contains("add rule ip t from_br0 oifname @bridges drop", lines);
        Assert.DoesNotContain("add rule ip t from_br0 drop", lines);
        Assert.Contains("add rule ip t post_to_br0 ip saddr 127.0.0.0/8 masquerade", lines);
        Assert.Contains("add rule ip t post_to_br0 ct status dnat ip saddr 172.18.0.0/16 masquerade", lines);
        Assert.Contains("add rule ip t post_from_br0 oifname != \"br0\" masquerade", lines);
        Assert.Contains("add element ip t post_from_subnet { 172.18.0.0/16 : jump post_from_br0 }", lines);
        Assert.Contains("add element ip t bridges { \"br0\" }", lines);
        // Chains are refilled, never appended to, so declaring a bridge again changes nothing.
        Assert.True(Array.IndexOf(lines, "flush chain ip t from_br0") < Array.IndexOf(lines, "add rule ip t from_br0 oifname \"br0\" accept"));
    }

    [Fact]
    public void An_internal_bridge_drops_traffic_in_and_out_and_does_not_masquerade()
    {
        var lines = Lines(NftRuleset.Bridge("t", Bridge with { Internal = true }));
        Assert.Contains("add rule ip t from_br0 drop", lines);
        Assert.Contains("add rule ip t to_br0 drop", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("add rule ip t post_from_br0", StringComparison.Ordinal));
        var noMasquerade = Lines(NftRuleset.Bridge("t", Bridge with { Masquerade = false }));
        Assert.DoesNotContain(noMasquerade, l => l.StartsWith("add rule ip t post_from_br0", StringComparison.Ordinal));
        Assert.DoesNotContain("add rule ip t to_br0 drop", noMasquerade);
    }

    [Fact]
    public void Port_forwards_are_map_elements_commented_with_their_owner()
    {
        var any = new PortForward("tcp", null, 8080, IPAddress.Parse("172.18.0.2"), 80, "br0");
        var local = new PortForward("udp", IPAddress.Loopback, 5353, IPAddress.Parse("172.18.0.2"), 53, "br0");
        Assert.Equal("add element ip t ports_tcp_any { 8080 comment \"c1\" : 172.18.0.2 . 80 }\n", NftRuleset.AddForward("t", "c1", any));
        Assert.Equal("add element ip t ports_udp_ip { 127.0.0.1 . 5353 comment \"c1\" : 172.18.0.2 . 53 }\n", NftRuleset.AddForward("t", "c1", local));
        Assert.Equal(("ports_tcp_any", "8080"), NftRuleset.ForwardKey(any with { HostIp = IPAddress.Any }));
        Assert.Equal("delete element ip t ports_udp_ip { 127.0.0.1 . 5353 }\n", NftRuleset.DeleteForward("t", "ports_udp_ip", "127.0.0.1 . 5353"));
    }

    [Fact]
    public void Input_that_could_change_the_command_text_is_refused()
    {
        Assert.Throws<ArgumentException>(() => NftRuleset.Validate(new PortForward("sctp", null, 1, IPAddress.Loopback, 1, "br0")));
        Assert.Throws<ArgumentException>(() => NftRuleset.Validate(new PortForward("tcp", null, 70000, IPAddress.Loopback, 1, "br0")));
        Assert.Throws<ArgumentException>(() => NftRuleset.Validate(new PortForward("tcp", IPAddress.IPv6Loopback, 1, IPAddress.Loopback, 1, "br0")));
        var e = Assert.Throws<ArgumentException>(() => NftRuleset.ValidateName("bridge name", "br0\"; flush ruleset", 15));
        Assert.Contains("bridge name 'br0\"; flush ruleset'", e.Message);
        Assert.Throws<ArgumentException>(() => NftRuleset.ValidateName("bridge name", "a-very-long-bridge-name", 15));
        NftRuleset.ValidateName("bridge name", "br-1a2b.3", 15);
        NftRuleset.ValidateOwner("0f3a" + new string('9', 60)); // a container id: it goes into a quoted comment
        Assert.Throws<ArgumentException>(() => NftRuleset.ValidateOwner("abc\" } ; flush ruleset"));
    }

    [Fact]
    public void The_table_listing_gives_bridges_subnet_jumps_and_owned_forwards()
    {
        const string json = """
            {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
             {"table": {"family": "ip", "name": "t", "handle": 4}},
             {"set": {"family": "ip", "name": "bridges", "table": "t", "type": "ifname", "handle": 9, "elem": ["br0", "br1"]}},
             {"map": {"family": "ip", "name": "post_from_subnet", "table": "t", "type": "ipv4_addr", "handle": 2, "map": "verdict",
               "flags": ["interval"], "elem": [[{"prefix": {"addr": "172.18.0.0", "len": 16}}, {"jump": {"target": "post_from_br0"}}]]}},
             {"map": {"family": "ip", "name": "ports_tcp_any", "table": "t", "type": "inet_service", "handle": 7,
               "map": "ipv4_addr . inet_service", "elem": [[{"elem": {"val": 8080, "comment": "c1"}}, {"concat": ["172.18.0.2", 80]}]]}},
             {"map": {"family": "ip", "name": "ports_tcp_ip", "table": "t", "type": ["ipv4_addr", "inet_service"], "handle": 3,
               "map": "ipv4_addr . inet_service",
               "elem": [[{"elem": {"val": {"concat": ["127.0.0.1", 8081]}, "comment": "c2"}}, {"concat": ["172.18.0.3", 80]}]]}},
             {"chain": {"family": "ip", "table": "t", "name": "post_from_br0", "handle": 1}}]}
            """;
        var state = NftTable.Parse(json);
        Assert.True(state.Exists);
        Assert.Equal(["br0", "br1"], state.Bridges.Order());
        Assert.Equal([("172.18.0.0/16", "post_from_br0")], state.SubnetJumps);
        Assert.Equal([new ForwardElement("ports_tcp_any", "8080", "c1"), new ForwardElement("ports_tcp_ip", "127.0.0.1 . 8081", "c2")],
            state.Forwards);
        Assert.True(NftTable.ListsTable(json, "t"));
        Assert.False(NftTable.ListsTable(json, "other"));
    }
}
