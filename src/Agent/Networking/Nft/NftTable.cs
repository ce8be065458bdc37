using System.Text.Json;
using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Networking.Nft;

/// <summary>A port-forward element as the kernel holds it: its map, its key in nft syntax and its owner (the comment).</summary>
internal sealed record ForwardElement(string Map, string Key, string? Owner);

/// <summary>What the agent's table holds now, read back from the kernel (so an agent restart loses nothing).</summary>
internal sealed record NftTableState(bool Exists, IReadOnlySet<string> Bridges, IReadOnlyList<(string Subnet, string Target)> SubnetJumps,
    IReadOnlyList<ForwardElement> Forwards)
{
    public static readonly NftTableState Missing = new(false, new HashSet<string>(), [], []);
}

/// <summary>The agent's one nft table (<c>ip NAME</c>) through libnftables; touches nothing else. Not thread-safe.</summary>
internal sealed class NftTable(string name) : IDisposable
{
    private readonly NftContextHandle _context = LibNftables.Open();
    private readonly NftContextHandle _jsonContext = LibNftables.Open(json: true);

    public string Name { get; } = name;

    /// <summary>Runs one command buffer: one transaction, applied whole or not at all.</summary>
    public void Apply(string commands) => LibNftables.Run(_context, commands);

    public void Delete()
    {
        if (Read().Exists)
            Apply($"delete table ip {Name}\n");
    }

    public NftTableState Read()
    {
        var tables = LibNftables.Run(_jsonContext, "list tables ip\n");
        if (!ListsTable(tables, Name))
            return NftTableState.Missing;
        return Parse(LibNftables.Run(_jsonContext, $"list table ip {Name}\n"));
    }

    internal static bool ListsTable(string json, string name)
    {
        using var doc = JsonDocument.Parse(json.Length == 0 ? "{}" : json);
        if (!doc.RootElement.TryGetProperty("nftables", out var items))
            return false;
        foreach (var item in items.EnumerateArray())
            if (item.TryGetProperty("table", out var table) && table.GetProperty("name").GetString() == name)
                return true;
        return false;
    }

    /// <summary>Reads nft's JSON listing of the table (libnftables' documented JSON schema).</summary>
    internal static NftTableState Parse(string json)
    {
        var bridges = new HashSet<string>();
        var subnetJumps = new List<(string, string)>();
        var forwards = new List<ForwardElement>();
        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("set", out var set) && set.GetProperty("name").GetString() == "bridges" &&
                set.TryGetProperty("elem", out var names))
            {
                foreach (var e in names.EnumerateArray())
                    bridges.Add(e.GetString() ?? "");
            }
            if (!item.TryGetProperty("map", out var map) || !map.TryGetProperty("elem", out var elements))
                continue;
            var mapName = map.GetProperty("name").GetString() ?? "";
            foreach (var pair in elements.EnumerateArray())
            {
                var key = pair[0];
                if (mapName == "post_from_subnet" && key.TryGetProperty("prefix", out var prefix))
                {
                    var target = pair[1].GetProperty("jump").GetProperty("target").GetString() ?? "";
                    subnetJumps.Add(($"{prefix.GetProperty("addr").GetString()}/{prefix.GetProperty("len").GetInt32()}", target));
                }
                else if (mapName.StartsWith("ports_", StringComparison.Ordinal))
                {
                    string? owner = null;
                    if (key.ValueKind == JsonValueKind.Object && key.TryGetProperty("elem", out var elem))
                    {
                        owner = elem.TryGetProperty("comment", out var c) ? c.GetString() : null;
                        key = elem.GetProperty("val");
                    }
                    forwards.Add(new ForwardElement(mapName, KeyText(key), owner));
                }
            }
        }
        return new NftTableState(true, bridges, subnetJumps, forwards);
    }

    private static string KeyText(JsonElement key) => key.ValueKind switch
    {
        JsonValueKind.Object when key.TryGetProperty("concat", out var parts) =>
            string.Join(" . ", parts.EnumerateArray().Select(KeyText)),
        JsonValueKind.Number => key.GetRawText(),
        _ => key.GetString() ?? "",
    };

    public void Dispose()
    {
        _context.Dispose();
        _jsonContext.Dispose();
    }
}
