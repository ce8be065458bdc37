using System.Globalization;
using System.Text.Json;

namespace ContainerConsole.Agent.Engine.Volumes;

/// <summary>One mount a client asked for (-v, --mount, --tmpfs), parsed and checked but not yet resolved to a volume or host path.</summary>
public sealed record MountRequest(string Type, string Source, string Destination)
{
    public bool ReadOnly { get; init; }
    public string Mode { get; init; } = "";
    public string Propagation { get; init; } = "";
    public bool NoCopy { get; init; }
    public string Relabel { get; init; } = "";
    public Dictionary<string, string>? VolumeLabels { get; init; }
    public string? VolumeDriver { get; init; }
    public Dictionary<string, string>? VolumeDriverOptions { get; init; }
    public List<string> TmpfsOptions { get; init; } = [];
    /// <summary>-v SRC:DST with a missing SRC directory creates it (--mount type=bind refuses instead).</summary>
    public bool CreateMissingSource { get; init; }
}

/// <summary>Docker's syntax for HostConfig.Binds, HostConfig.Mounts and HostConfig.Tmpfs, with its error wording.</summary>
public static class MountSyntax
{
    private static readonly HashSet<string> PropagationModes = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];

    /// <summary>HostConfig.Binds: SRC:DST[:OPTS], SRC an absolute host path or a volume name.</summary>
    public static MountRequest ParseBind(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0)
            throw EngineException.BadRequest($"invalid volume specification: '{spec}'");
        var (source, target) = (parts[0], parts[1]);
        var isBind = source.StartsWith('/');
        var destination = CleanDestination(target, isBind ? "bind" : "volume", $"invalid volume specification: '{spec}': ");
        if (!isBind)
            VolumeStore.CheckName(source);
        bool? readOnly = null;
        string propagation = "", relabel = "";
        var noCopy = false;
        var mode = parts.Length == 3 ? parts[2] : "";
        foreach (var word in mode.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (word)
            {
                case "ro" or "rw" when readOnly is null:
                    readOnly = word == "ro";
                    break;
                case "z" or "Z" when relabel.Length == 0:
                    relabel = word;
                    break;
                case "nocopy" when !isBind && !noCopy:
                    noCopy = true;
                    break;
                case var p when isBind && propagation.Length == 0 && PropagationModes.Contains(p):
                    propagation = p;
                    break;
                default:
                    throw EngineException.BadRequest($"invalid mode: {mode}");
            }
        }
        return new MountRequest(isBind ? "bind" : "volume", isBind ? CleanHostPath(source) : source, destination)
        {
            ReadOnly = readOnly ?? false, Mode = mode, Propagation = isBind ? (propagation.Length == 0 ? "rprivate" : propagation) : "",
            NoCopy = noCopy, Relabel = relabel, CreateMissingSource = isBind,
        };
    }

    /// <summary>HostConfig.Mounts: {Type, Source, Target, ReadOnly, BindOptions, VolumeOptions, TmpfsOptions}.</summary>
    public static MountRequest ParseMount(JsonElement m)
    {
        if (m.ValueKind != JsonValueKind.Object)
            throw EngineException.BadRequest("invalid mount config: expected an object");
        var type = Str(m, "Type");
        if (type is not ("bind" or "volume" or "tmpfs"))
            throw EngineException.BadRequest(type.Length == 0 ? "invalid mount config: mount type must be specified" : $"invalid mount config: mount type unknown: \"{type}\"");
        var err = $"invalid mount config for type \"{type}\": ";
        var target = Str(m, "Target");
        if (target.Length == 0)
            throw EngineException.BadRequest(err + "field Target must not be empty");
        var destination = CleanDestination(target, type, "");
        var source = Str(m, "Source");
        var readOnly = m.TryGetProperty("ReadOnly", out var ro) && ro.ValueKind == JsonValueKind.True;
        JsonElement? Opt(string name) =>
            m.TryGetProperty(name, out var o) && o.ValueKind == JsonValueKind.Object ? o : null;
        foreach (var (name, forType) in new[] { ("BindOptions", "bind"), ("VolumeOptions", "volume"), ("TmpfsOptions", "tmpfs") })
        {
            if (Opt(name) is not null && type != forType)
                throw EngineException.BadRequest(err + $"field {name} must not be specified");
        }
        switch (type)
        {
            case "bind":
            {
                if (source.Length == 0)
                    throw EngineException.BadRequest(err + "field Source must not be empty");
                if (!source.StartsWith('/'))
                    throw EngineException.BadRequest(err + $"invalid mount path: '{source}' mount path must be absolute");
                source = CleanHostPath(source);
                if (!Path.Exists(source))
                    throw EngineException.BadRequest(err + $"bind source path does not exist: {source}");
                var propagation = Opt("BindOptions") is { } bo ? Str(bo, "Propagation") : "";
                if (propagation.Length > 0 && !PropagationModes.Contains(propagation))
                    throw EngineException.BadRequest(err + $"invalid propagation mode: {propagation}");
                return new MountRequest(type, source, destination) { ReadOnly = readOnly, Propagation = propagation.Length == 0 ? "rprivate" : propagation };
            }
            case "volume":
            {
                if (source.Length > 0)
                    VolumeStore.CheckName(source);
                var vo = Opt("VolumeOptions");
                var driver = vo is { } v && Opt2(v, "DriverConfig") is { } dc ? dc : (JsonElement?)null;
                return new MountRequest(type, source, destination)
                {
                    ReadOnly = readOnly,
                    NoCopy = vo is { } v1 && v1.TryGetProperty("NoCopy", out var nc) && nc.ValueKind == JsonValueKind.True,
                    VolumeLabels = vo is { } v2 ? Map(v2, "Labels") : null,
                    VolumeDriver = driver is { } d1 ? Str(d1, "Name") : null,
                    VolumeDriverOptions = driver is { } d2 ? Map(d2, "Options") : null,
                };
            }
            default:
            {
                if (source.Length > 0)
                    throw EngineException.BadRequest(err + "field Source must not be specified");
                var options = new List<string>();
                if (Opt("TmpfsOptions") is { } to)
                {
                    if (to.TryGetProperty("SizeBytes", out var size) && size.ValueKind == JsonValueKind.Number)
                    {
                        if (size.GetInt64() < 0)
                            throw EngineException.BadRequest(err + $"invalid tmpfs size: {size.GetInt64()}");
                        if (size.GetInt64() > 0)
                            options.Add("size=" + size.GetInt64().ToString(CultureInfo.InvariantCulture));
                    }
                    if (to.TryGetProperty("Mode", out var mode) && mode.ValueKind == JsonValueKind.Number && mode.GetUInt32() != 0)
                        options.Add("mode=" + Convert.ToString(mode.GetUInt32() & 0xFFF, 8));
                }
                return new MountRequest(type, "", destination) { ReadOnly = readOnly, TmpfsOptions = options };
            }
        }
    }

    /// <summary>HostConfig.Tmpfs entry: /run → "rw,size=64m,mode=1777" (noexec,nosuid,nodev unless the options say otherwise).</summary>
    public static MountRequest ParseTmpfs(string target, string? options)
    {
        var destination = CleanDestination(target, "tmpfs", "");
        var words = (options ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var readOnly = words.LastOrDefault(w => w is "ro" or "rw") == "ro";
        return new MountRequest("tmpfs", "", destination) { ReadOnly = readOnly, Mode = options ?? "", TmpfsOptions = words.Where(w => w is not ("ro" or "rw")).ToList() };
    }

    /// <summary>VolumesFrom entry: CONTAINER[:ro|rw]; the mode is null when not given (the other container's modes stay).</summary>
    public static (string Container, bool? ReadOnly) ParseVolumesFrom(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length > 2 || parts[0].Length == 0)
            throw EngineException.BadRequest($"invalid volumes-from specification: '{spec}'");
        if (parts.Length == 1)
            return (parts[0], null);
        return parts[1] switch
        {
            "ro" => (parts[0], true),
            "rw" => (parts[0], false),
            _ => throw EngineException.BadRequest($"invalid mode for volumes-from: {parts[1]}"),
        };
    }

    /// <summary>An absolute container path, lexically cleaned; "/" is refused (it would hide the root).</summary>
    public static string CleanDestination(string target, string type, string prefix)
    {
        if (!target.StartsWith('/'))
            throw EngineException.BadRequest($"{prefix}invalid mount config for type \"{type}\": invalid mount path: '{target}' mount path must be absolute");
        var clean = Clean(target);
        if (clean == "/")
            throw EngineException.BadRequest($"{prefix}invalid mount config for type \"{type}\": destination can't be '/'");
        return clean;
    }

    private static string CleanHostPath(string path) => Clean(path);

    /// <summary>Go's path.Clean for absolute paths: no empty, "." or ".." components (".." above the root stays at the root).</summary>
    internal static string Clean(string path)
    {
        var stack = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (stack.Count > 0)
                    stack.RemoveAt(stack.Count - 1);
                continue;
            }
            stack.Add(part);
        }
        return "/" + string.Join('/', stack);
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    private static JsonElement? Opt2(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static Dictionary<string, string>? Map(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText())
            : null;
}
