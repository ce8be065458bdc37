using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace ContainerConsole.Networking.Nft;

/// <summary>
/// The nft command text for the agent's table. Bridges and port forwards are elements of sets and verdict maps, so
/// each change adds or deletes a few elements (and one bridge's own chains) instead of rewriting the ruleset:
/// <list type="bullet">
/// <item>forward: <c>iifname vmap @from_bridge</c> (same bridge accept, other agent bridges drop, internal drop) and
/// <c>oifname vmap @to_bridge</c> (internal drop).</item>
/// <item>postrouting: <c>oifname vmap @post_to_bridge</c> (127.0.0.0/8 sources that reached the bridge through the
/// output DNAT, and hairpin: a container reaching a published port of its own bridge) and
/// <c>ip saddr vmap @post_from_subnet</c> (masquerade of the subnet leaving through another interface).</item>
/// <item>prerouting and output, for local destinations (<c>fib daddr type local</c>): DNAT through the maps
/// ports_{tcp,udp}_ip (host address . port) then ports_{tcp,udp}_any (port), each element commented with its owner.</item>
/// </list>
/// </summary>
internal static partial class NftRuleset
{
    public static readonly string[] Protocols = ["tcp", "udp"];

    /// <summary>The table, sets, maps and base chains; idempotent (declaring what exists is a no-op, chains are refilled).</summary>
    public static string Skeleton(string table)
    {
        var declarations = new List<string>();
        var rules = new StringBuilder();
        SkeletonParts(table, declarations, rules);
        return Block(table, declarations) + rules;
    }

    private static void SkeletonParts(string table, List<string> declarations, StringBuilder rules)
    {
        declarations.AddRange(
        [
            "set bridges { type ifname; }",
            "map from_bridge { type ifname : verdict; }",
            "map to_bridge { type ifname : verdict; }",
            "map post_to_bridge { type ifname : verdict; }",
            "map post_from_subnet { type ipv4_addr : verdict; flags interval; }",
        ]);
        foreach (var p in Protocols)
        {
            declarations.Add($"map ports_{p}_ip {{ type ipv4_addr . inet_service : ipv4_addr . inet_service; }}");
            declarations.Add($"map ports_{p}_any {{ type inet_service : ipv4_addr . inet_service; }}");
        }
        Chain(declarations, rules, table, "ports", null,
            [.. Protocols.SelectMany(p => new[] { $"dnat ip to ip daddr . {p} dport map @ports_{p}_ip", $"dnat ip to {p} dport map @ports_{p}_any" })]);
        Chain(declarations, rules, table, "prerouting", "type nat hook prerouting priority dstnat; policy accept;", ["fib daddr type local jump ports"]);
        // Host-originated connections, 127.0.0.1 included (which needs route_localnet on the bridge).
        Chain(declarations, rules, table, "output", "type nat hook output priority -100; policy accept;", ["fib daddr type local jump ports"]);
        Chain(declarations, rules, table, "postrouting", "type nat hook postrouting priority srcnat; policy accept;",
            ["oifname vmap @post_to_bridge", "ip saddr vmap @post_from_subnet"]);
        Chain(declarations, rules, table, "forward", "type filter hook forward priority filter; policy accept;",
            ["iifname vmap @from_bridge", "oifname vmap @to_bridge"]);
    }

    /// <summary>The skeleton plus one bridge's chains and its elements in the dispatch maps.</summary>
    public static string Bridge(string table, BridgeSettings bridge)
    {
        var t = $"ip {table}";
        var n = bridge.Name;
        var subnet = $"{bridge.Subnet.BaseAddress}/{bridge.Subnet.PrefixLength}";
        var declarations = new List<string>();
        var rules = new StringBuilder();
        SkeletonParts(table, declarations, rules);
        Chain(declarations, rules, table, $"from_{n}", null,
            [$"oifname \"{n}\" accept", "oifname @bridges drop", .. bridge.Internal ? new[] { "drop" } : []]);
        Chain(declarations, rules, table, $"to_{n}", null, bridge.Internal ? ["drop"] : []);
        Chain(declarations, rules, table, $"post_to_{n}", null, ["ip saddr 127.0.0.0/8 masquerade", $"ct status dnat ip saddr {subnet} masquerade"]);
        Chain(declarations, rules, table, $"post_from_{n}", null, bridge.Masquerade && !bridge.Internal ? [$"oifname != \"{n}\" masquerade"] : []);
        var s = new StringBuilder(Block(table, declarations)).Append(rules);
        s.AppendLine($"add element {t} bridges {{ \"{n}\" }}");
        s.AppendLine($"add element {t} from_bridge {{ \"{n}\" : jump from_{n} }}");
        s.AppendLine($"add element {t} to_bridge {{ \"{n}\" : jump to_{n} }}");
        s.AppendLine($"add element {t} post_to_bridge {{ \"{n}\" : jump post_to_{n} }}");
        s.AppendLine($"add element {t} post_from_subnet {{ {subnet} : jump post_from_{n} }}");
        return s.ToString();
    }

    /// <summary>Removes one bridge's elements (first: the chains are still referenced) and then its chains.</summary>
    public static string RemoveBridge(string table, string name, IEnumerable<string> subnetElements)
    {
        var t = $"ip {table}";
        var s = new StringBuilder();
        s.AppendLine($"delete element {t} bridges {{ \"{name}\" }}");
        s.AppendLine($"delete element {t} from_bridge {{ \"{name}\" }}");
        s.AppendLine($"delete element {t} to_bridge {{ \"{name}\" }}");
        s.AppendLine($"delete element {t} post_to_bridge {{ \"{name}\" }}");
        foreach (var subnet in subnetElements)
            s.AppendLine($"delete element {t} post_from_subnet {{ {subnet} }}");
        foreach (var chain in BridgeChains(name))
            s.AppendLine($"delete chain {t} {chain}");
        return s.ToString();
    }

    public static IEnumerable<string> BridgeChains(string name) => [$"from_{name}", $"to_{name}", $"post_to_{name}", $"post_from_{name}"];

    /// <summary>The map a forward lives in and its key in nft syntax.</summary>
    public static (string Map, string Key) ForwardKey(PortForward forward)
    {
        var protocol = forward.Protocol.ToLowerInvariant();
        var anyAddress = forward.HostIp is null || forward.HostIp.Equals(IPAddress.Any);
        return anyAddress
            ? ($"ports_{protocol}_any", $"{forward.HostPort}")
            : ($"ports_{protocol}_ip", $"{forward.HostIp} . {forward.HostPort}");
    }

    public static string AddForward(string table, string owner, PortForward forward)
    {
        var (map, key) = ForwardKey(forward);
        return $"add element ip {table} {map} {{ {key} comment \"{owner}\" : {forward.ContainerIp} . {forward.ContainerPort} }}\n";
    }

    public static string DeleteForward(string table, string map, string key) => $"delete element ip {table} {map} {{ {key} }}\n";

    /// <summary>Throws when a name could change the meaning of the command text (quotes, spaces, semicolons).</summary>
    public static void Validate(PortForward forward)
    {
        if (!Protocols.Contains(forward.Protocol.ToLowerInvariant()))
            throw new ArgumentException($"port forward protocol {forward.Protocol} is not supported (tcp or udp)");
        if (forward.HostPort is < 1 or > 65535 || forward.ContainerPort is < 1 or > 65535)
            throw new ArgumentException($"port forward {forward.HostPort}->{forward.ContainerPort}: ports must be 1-65535");
        if (forward.ContainerIp.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork ||
            forward.HostIp is { AddressFamily: not System.Net.Sockets.AddressFamily.InterNetwork })
            throw new ArgumentException($"port forward {forward.HostPort}: only IPv4 addresses are supported");
    }

    public static void ValidateName(string what, string name, int maxLength)
    {
        if (name.Length > maxLength || !SafeName().IsMatch(name))
            throw new ArgumentException($"{what} '{name}' is not usable: 1-{maxLength} characters of letters, digits, '_', '.', '-', starting with a letter or '_'");
    }

    /// <summary>A port forward's owner goes into a quoted element comment, so it may start with a digit (a container id).</summary>
    public static void ValidateOwner(string owner)
    {
        if (owner.Length > 120 || !SafeComment().IsMatch(owner))
            throw new ArgumentException($"port forward owner '{owner}' is not usable: 1-120 characters of letters, digits, '_', '.', '-'");
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*$")]
    private static partial Regex SafeName();

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex SafeComment();

    // Everything declared in one table block, not with "add map"/"add chain" commands or a second block: nft 1.0.6
    // refuses (ENOENT) an interval-map element jumping to a chain that the same batch created outside the map's block.
    private static string Block(string table, IEnumerable<string> declarations) =>
        $"table ip {table} {{\n{string.Concat(declarations.Select(d => $"  {d}\n"))}}}\n";

    private static void Chain(List<string> declarations, StringBuilder rules, string table, string name, string? hook, string[] body)
    {
        declarations.Add(hook is null ? $"chain {name} {{ }}" : $"chain {name} {{ {hook} }}");
        rules.AppendLine($"flush chain ip {table} {name}");
        foreach (var rule in body)
            rules.AppendLine($"add rule ip {table} {name} {rule}");
    }
}
