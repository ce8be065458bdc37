using System.Text.Json;

// Errors name the field by its full path (process.args, linux.resources.memory.limit).

namespace ContainerConsole.Runtime.Spec;

/// <summary>
/// Reads config.json into the spec model over JsonDocument. Measured on the 2-core
/// test machine: the source-generated deserializer spends ~3.7 ms building its
/// metadata on first use in a process, an eighth of a whole `ccrun run`; this reader
/// takes ~0.5 ms. Writing still uses the generated serializer (RuntimeSpecJson).
/// Unknown fields are ignored, as the spec requires; wrong types are errors that name the field.
/// </summary>
public static class RuntimeSpecReader
{
    public static RuntimeSpec Read(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (doc.RootElement.ValueKind == JsonValueKind.Null)
            throw new SpecValidationException("empty document");
        var r = new Node(doc.RootElement, "");
        Expect(r, JsonValueKind.Object);
        var spec = new RuntimeSpec { OciVersion = Str(r, "ociVersion") ?? "" };
        if (Obj(r, "root") is { } root)
            spec.Root = new Root { Path = Str(root, "path") ?? "", Readonly = Bool(root, "readonly", root.Field("readonly")) };
        spec.Mounts = Arr(r, "mounts", m => new Mount
        {
            Destination = Str(m, "destination") ?? "", Type = Str(m, "type"), Source = Str(m, "source"), Options = Strs(m, "options"),
        });
        if (Obj(r, "process") is { } p)
            spec.Process = ReadProcess(p, "process");
        spec.Hostname = Str(r, "hostname");
        spec.Domainname = Str(r, "domainname");
        if (Obj(r, "hooks") is { } h)
        {
            spec.Hooks = new Hooks
            {
                Prestart = Hooks(h, "prestart"), CreateRuntime = Hooks(h, "createRuntime"), CreateContainer = Hooks(h, "createContainer"),
                StartContainer = Hooks(h, "startContainer"), Poststart = Hooks(h, "poststart"), Poststop = Hooks(h, "poststop"),
            };
        }
        spec.Annotations = Map(r, "annotations");
        if (Obj(r, "linux") is { } l)
            spec.Linux = ReadLinux(l);
        return spec;
    }

    public static Process ReadProcess(JsonElement element, string field) => ReadProcess(new Node(element, field), field);

    private static Process ReadProcess(Node p, string field)
    {
        var process = new Process
        {
            Terminal = Bool(p, "terminal", p.Field("terminal")),
            Args = Strs(p, "args"),
            Env = Strs(p, "env"),
            Cwd = Str(p, "cwd") ?? "/",
            NoNewPrivileges = Bool(p, "noNewPrivileges", p.Field("noNewPrivileges")),
            ApparmorProfile = Str(p, "apparmorProfile"),
            OomScoreAdj = (int?)Long(p, "oomScoreAdj"),
            SelinuxLabel = Str(p, "selinuxLabel"),
            Rlimits = Arr(p, "rlimits", x => new Rlimit { Type = Str(x, "type") ?? "", Soft = ULong(x, "soft") ?? 0, Hard = ULong(x, "hard") ?? 0 }),
        };
        if (Obj(p, "consoleSize") is { } cs)
            process.ConsoleSize = new ConsoleSize { Height = (uint)(ULong(cs, "height") ?? 0), Width = (uint)(ULong(cs, "width") ?? 0) };
        if (Obj(p, "user") is { } u)
        {
            process.User = new User
            {
                Uid = (uint)(ULong(u, "uid") ?? 0), Gid = (uint)(ULong(u, "gid") ?? 0), Umask = (uint?)ULong(u, "umask"),
                AdditionalGids = Arr(u, "additionalGids", g => g.E.ValueKind == JsonValueKind.Number && g.E.TryGetUInt32(out var gid) ? gid : throw new SpecValidationException($"{g.Path}: expected a group id")),
            };
        }
        if (Obj(p, "capabilities") is { } c)
        {
            process.Capabilities = new Capabilities
            {
                Bounding = Strs(c, "bounding"), Effective = Strs(c, "effective"), Inheritable = Strs(c, "inheritable"),
                Permitted = Strs(c, "permitted"), Ambient = Strs(c, "ambient"),
            };
        }
        return process;
    }

    private static Linux ReadLinux(Node l)
    {
        var linux = new Linux
        {
            Namespaces = Arr(l, "namespaces", n => new LinuxNamespace { Type = Str(n, "type") ?? "", Path = Str(n, "path") }),
            UidMappings = Arr(l, "uidMappings", IdMap),
            GidMappings = Arr(l, "gidMappings", IdMap),
            Devices = Arr(l, "devices", d => new LinuxDevice
            {
                Path = Str(d, "path") ?? "", Type = Str(d, "type") ?? "c", Major = Long(d, "major") ?? 0, Minor = Long(d, "minor") ?? 0,
                FileMode = (uint?)ULong(d, "fileMode"), Uid = (uint?)ULong(d, "uid"), Gid = (uint?)ULong(d, "gid"),
            }),
            CgroupsPath = Str(l, "cgroupsPath"),
            Sysctl = Map(l, "sysctl"),
            RootfsPropagation = Str(l, "rootfsPropagation"),
            MaskedPaths = Strs(l, "maskedPaths"),
            ReadonlyPaths = Strs(l, "readonlyPaths"),
            MountLabel = Str(l, "mountLabel"),
        };
        if (Obj(l, "resources") is { } res)
            linux.Resources = ReadResources(res);
        if (Obj(l, "seccomp") is { } s)
        {
            linux.Seccomp = new LinuxSeccomp
            {
                RawJson = System.Text.Encoding.UTF8.GetBytes(s.E.GetRawText()),
                DefaultAction = Str(s, "defaultAction") ?? "", DefaultErrnoRet = (uint?)ULong(s, "defaultErrnoRet"),
                Architectures = Strs(s, "architectures"), Flags = Strs(s, "flags"),
                Syscalls = Arr(s, "syscalls", sc => new SeccompSyscall
                {
                    Names = Strs(sc, "names"), Action = Str(sc, "action") ?? "", ErrnoRet = (uint?)ULong(sc, "errnoRet"),
                    Args = Arr(sc, "args", a => new SeccompArg
                    {
                        Index = (uint)(ULong(a, "index") ?? 0), Value = ULong(a, "value") ?? 0, ValueTwo = ULong(a, "valueTwo") ?? 0, Op = Str(a, "op") ?? "",
                    }),
                }),
            };
        }
        return linux;
    }

    public static LinuxResources ReadResources(JsonElement element) => ReadResources(new Node(element, "linux.resources"));

    // Settings the cgroup drivers cannot apply yet: refused by name rather than silently dropped.
    private static readonly string[] UnsupportedResources = ["hugepageLimits", "network", "rdma"];
    private static readonly string[] UnsupportedBlockIo =
        ["weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"];

    private static void RefuseUnsupported(Node o, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (Get(o, name) is not { } v)
                continue;
            var empty = v.E.ValueKind switch
            {
                JsonValueKind.Array => v.E.GetArrayLength() == 0,
                JsonValueKind.Object => !v.E.EnumerateObject().Any(),
                _ => false,
            };
            if (!empty)
                throw new SpecValidationException($"{v.Path}: not supported by this runtime yet");
        }
    }

    private static LinuxResources ReadResources(Node res)
    {
        RefuseUnsupported(res, UnsupportedResources);
        if (Obj(res, "blockIO") is { } blk)
            RefuseUnsupported(blk, UnsupportedBlockIo);
        var r = new LinuxResources
        {
            Devices = Arr(res, "devices", d => new DeviceCgroupRule
            {
                Allow = Bool(d, "allow", d.Field("allow")), Type = Str(d, "type"), Major = Long(d, "major"), Minor = Long(d, "minor"), Access = Str(d, "access"),
            }),
            Unified = Map(res, "unified"),
        };
        if (Obj(res, "memory") is { } m)
        {
            r.Memory = new MemoryResources
            {
                Limit = Long(m, "limit"), Reservation = Long(m, "reservation"), Swap = Long(m, "swap"), Swappiness = ULong(m, "swappiness"),
                DisableOOMKiller = Get(m, "disableOOMKiller") is { } d ? Bool(m, "disableOOMKiller", d.Path) : null,
            };
        }
        if (Obj(res, "cpu") is { } c)
        {
            r.Cpu = new CpuResources { Shares = ULong(c, "shares"), Quota = Long(c, "quota"), Period = ULong(c, "period"), Cpus = Str(c, "cpus"), Mems = Str(c, "mems") };
        }
        if (Obj(res, "pids") is { } p)
            r.Pids = new PidsResources { Limit = Long(p, "limit") ?? 0 };
        if (Obj(res, "blockIO") is { } b)
            r.BlockIO = new BlockIoResources { Weight = (ushort?)ULong(b, "weight") };
        return r;
    }

    private static IdMapping IdMap(Node m) => new()
    {
        ContainerID = (uint)(ULong(m, "containerID") ?? 0), HostID = (uint)(ULong(m, "hostID") ?? 0), Size = (uint)(ULong(m, "size") ?? 0),
    };

    private static List<Hook> Hooks(Node h, string name) => Arr(h, name, x => new Hook
    {
        Path = Str(x, "path") ?? "", Args = Strs(x, "args"), Env = Strs(x, "env"), Timeout = (int?)Long(x, "timeout"),
    });

    private readonly record struct Node(JsonElement E, string Path)
    {
        public string Field(string name) => Path.Length == 0 ? name : $"{Path}.{name}";
    }

    private static Node? Get(Node o, string name) =>
        o.E.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? new Node(v, o.Field(name)) : null;

    private static Node? Obj(Node o, string name)
    {
        if (Get(o, name) is not { } v)
            return null;
        Expect(v, JsonValueKind.Object);
        return v;
    }

    private static string? Str(Node o, string name)
    {
        if (Get(o, name) is not { } v)
            return null;
        Expect(v, JsonValueKind.String);
        return v.E.GetString();
    }

    private static bool Bool(Node o, string name, string field)
    {
        if (Get(o, name) is not { } v)
            return false;
        return v.E.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new SpecValidationException($"{field}: expected true or false"),
        };
    }

    private static long? Long(Node o, string name)
    {
        if (Get(o, name) is not { } v)
            return null;
        return v.E.ValueKind == JsonValueKind.Number && v.E.TryGetInt64(out var n) ? n : throw new SpecValidationException($"{v.Path}: expected an integer");
    }

    private static ulong? ULong(Node o, string name)
    {
        if (Get(o, name) is not { } v)
            return null;
        return v.E.ValueKind == JsonValueKind.Number && v.E.TryGetUInt64(out var n) ? n : throw new SpecValidationException($"{v.Path}: expected a non-negative integer");
    }

    private static List<string> Strs(Node o, string name) => Arr(o, name, e =>
    {
        Expect(e, JsonValueKind.String);
        return e.E.GetString()!;
    });

    private static List<T> Arr<T>(Node o, string name, Func<Node, T> item)
    {
        if (Get(o, name) is not { } v)
            return [];
        Expect(v, JsonValueKind.Array);
        var list = new List<T>(v.E.GetArrayLength());
        var i = 0;
        foreach (var e in v.E.EnumerateArray())
            list.Add(item(new Node(e, $"{v.Path}[{i++}]")));
        return list;
    }

    private static Dictionary<string, string> Map(Node o, string name)
    {
        var map = new Dictionary<string, string>();
        if (Get(o, name) is not { } v)
            return map;
        Expect(v, JsonValueKind.Object);
        foreach (var p in v.E.EnumerateObject())
        {
            Expect(new Node(p.Value, v.Field(p.Name)), JsonValueKind.String);
            map[p.Name] = p.Value.GetString()!;
        }
        return map;
    }

    private static void Expect(Node n, JsonValueKind kind)
    {
        if (n.E.ValueKind != kind)
            throw new SpecValidationException($"{(n.Path.Length == 0 ? "document" : n.Path)}: expected {kind.ToString().ToLowerInvariant()}, found {n.E.ValueKind.ToString().ToLowerInvariant()}");
    }
}
