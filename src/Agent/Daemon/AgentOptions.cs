namespace ContainerConsole.Agent;

/// <summary>ccagent's settings; flag names follow dockerd's where they overlap.</summary>
public sealed class AgentOptions
{
    public string DataRoot { get; set; } = "/var/lib/containerconsole";
    public string ExecRoot { get; set; } = "/run/containerconsole";
    public List<string> Hosts { get; set; } = [];
    public string DefaultRuntime { get; set; } = "ccrun";
    /// <summary>docker run --init's binary (dockerd's --init-path); by default Debian's static tini.</summary>
    public string? InitPath { get; set; } = Engine.InitProcess.Candidates.FirstOrDefault(File.Exists);
    public Dictionary<string, string> Runtimes { get; set; } = [];
    public bool LiveRestore { get; set; } = true;
    public string? SocketGroup { get; set; }
    public long LogMaxSize { get; set; } = 10 * 1024 * 1024;
    public int LogMaxFiles { get; set; } = 3;

    /// <summary>dockerd's --insecure-registry: host[:port] or CIDR reachable over plain http or unverified TLS.</summary>
    public List<string> InsecureRegistries { get; set; } = [];

    /// <summary>Per-registry CA certificates, &lt;dir&gt;/&lt;host:port&gt;/ca.crt (as /etc/docker/certs.d).</summary>
    public string RegistryCertsDir { get; set; } = "/etc/containerconsole/certs.d";

    /// <summary>Where ccrun, ccinit and ccshim live: next to ccagent.</summary>
    public string HelperDir { get; set; } = AppContext.BaseDirectory;

    /// <summary>--bridge: the default bridge network's Linux bridge (each test agent names its own).</summary>
    public string Bridge { get; set; } = "cc0";

    /// <summary>--bip: the default bridge's address and prefix (10.1.0.1/24); empty: the first free subnet of Docker's pool.</summary>
    public string? BridgeIp { get; set; }

    /// <summary>Held while a subnet is chosen and its bridge made: shared by every agent on the host, so not under the exec root.</summary>
    public string NetworkLockFile { get; set; } = "/run/containerconsole-networks.lock";

    public string HostResolvConf { get; set; } = "/etc/resolv.conf";

    /// <summary>
    /// The agent's own netfilter table, derived from its default bridge: agents sharing a host (tests) must use distinct
    /// bridges anyway, so their rules never mix. cc0 (the default) gives "containerconsole".
    /// </summary>
    public string HostNetworkTable => Bridge == "cc0" ? "containerconsole" : "containerconsole_" + Bridge;

    public string NetworkDir => Path.Combine(DataRoot, "network");
    public string RuntimeRoot => Path.Combine(ExecRoot, "runtime");
    public string ContainersDir => Path.Combine(DataRoot, "containers");
    public string ShimPath => Path.Combine(HelperDir, "ccshim");

    /// <summary>
    /// The monitors' sockets live in the run state under a short name: a unix socket
    /// path must fit in 108 bytes, which the container directory does not.
    /// Sixteen hex digits of a random 256-bit id do not collide in practice.
    /// </summary>
    public string IoDir => Path.Combine(ExecRoot, "io");
    public string AttachSocket(string id) => Path.Combine(IoDir, id[..16] + ".sock");
    public string ConsoleSocket(string id) => Path.Combine(IoDir, id[..16] + ".console");

    /// <summary>ccrun understands the overlay annotations; runc and others need a mounted rootfs.</summary>
    public bool IsBuiltinRuntime(string? name) => (name ?? DefaultRuntime) == "ccrun" && !Runtimes.ContainsKey("ccrun");

    public bool HasRuntime(string? name) => Runtimes.ContainsKey(name ?? DefaultRuntime) || (name ?? DefaultRuntime) == "ccrun";

    public string RuntimePath(string? name)
    {
        name ??= DefaultRuntime;
        if (Runtimes.TryGetValue(name, out var path))
            return path;
        if (name == "ccrun")
            return Path.Combine(HelperDir, "ccrun");
        throw new ArgumentException($"unknown runtime \"{name}\"");
    }

    public static AgentOptions Parse(string[] args)
    {
        var o = new AgentOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string? inline = null;
            var eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = a[(eq + 1)..];
                a = a[..eq];
            }
            string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag needs an argument: {a}"));
            switch (a)
            {
                case "--data-root": o.DataRoot = Value(); break;
                case "--exec-root": o.ExecRoot = Value(); break;
                case "-H" or "--host": o.Hosts.Add(Value()); break;
                case "--default-runtime": o.DefaultRuntime = Value(); break;
                case "--init-path": o.InitPath = Value(); break;
                case "--add-runtime":
                {
                    var v = Value().Split('=', 2);
                    if (v.Length != 2)
                        throw new ArgumentException("--add-runtime takes name=path");
                    o.Runtimes[v[0]] = v[1];
                    break;
                }
                case "--live-restore": o.LiveRestore = inline is null or "true"; break;
                case "-G" or "--group": o.SocketGroup = Value(); break;
                case "--helper-dir": o.HelperDir = Value(); break;
                case "--log-opt": o.ApplyLogOpt(Value()); break;
                case "--config-file": o.ApplyConfigFile(Value()); break;
                case "--insecure-registry": o.InsecureRegistries.Add(Value()); break;
                case "--registry-certs-dir": o.RegistryCertsDir = Value(); break;
                case "--bridge" or "-b": o.Bridge = Value(); break;
                case "--bip": o.BridgeIp = Value(); break;
                default: throw new ArgumentException($"unknown flag {a}");
            }
        }
        if (o.Bridge.Length is 0 or > 15 || o.Bridge.Contains('/'))
            throw new ArgumentException($"--bridge {o.Bridge}: a link name of 1 to 15 bytes");
        if (o.Hosts.Count == 0)
            o.Hosts.Add($"unix://{Path.Combine(o.ExecRoot, "agent.sock")}");
        return o;
    }

    /// <summary>dockerd's --log-opt for the json-file driver: max-size (k/m/g suffixes) and max-file.</summary>
    private void ApplyLogOpt(string opt)
    {
        var kv = opt.Split('=', 2);
        if (kv.Length != 2)
            throw new ArgumentException($"--log-opt {opt}: expected key=value");
        switch (kv[0])
        {
            case "max-size":
                LogMaxSize = ParseSize(kv[1]);
                break;
            case "max-file":
                LogMaxFiles = int.TryParse(kv[1], out var n) && n >= 1 ? n : throw new ArgumentException($"--log-opt max-file={kv[1]}: must be a number >= 1");
                break;
            default:
                throw new ArgumentException($"--log-opt {kv[0]}: unknown option (max-size, max-file)");
        }
    }

    internal static long ParseSize(string text)
    {
        var t = text.Trim().ToLowerInvariant().TrimEnd('b');
        long mult = t.EndsWith('k') ? 1024 : t.EndsWith('m') ? 1024 * 1024 : t.EndsWith('g') ? 1024L * 1024 * 1024 : 1;
        if (mult > 1)
            t = t[..^1];
        return long.TryParse(t, out var v) && v > 0 ? v * mult : throw new ArgumentException($"invalid size \"{text}\"");
    }

    // dockerd's daemon.json keys where they overlap.
    private void ApplyConfigFile(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            switch (p.Name)
            {
                case "data-root": DataRoot = p.Value.GetString()!; break;
                case "exec-root": ExecRoot = p.Value.GetString()!; break;
                case "hosts": Hosts.AddRange(p.Value.EnumerateArray().Select(h => h.GetString()!)); break;
                case "default-runtime": DefaultRuntime = p.Value.GetString()!; break;
                case "init-path": InitPath = p.Value.GetString(); break;
                case "live-restore": LiveRestore = p.Value.GetBoolean(); break;
                case "group": SocketGroup = p.Value.GetString(); break;
                case "bridge": Bridge = p.Value.GetString()!; break;
                case "bip": BridgeIp = p.Value.GetString(); break;
                case "insecure-registries": InsecureRegistries.AddRange(p.Value.EnumerateArray().Select(h => h.GetString()!)); break;
                case "runtimes":
                    foreach (var r in p.Value.EnumerateObject())
                        Runtimes[r.Name] = r.Value.GetProperty("path").GetString()!;
                    break;
            }
        }
    }
}
