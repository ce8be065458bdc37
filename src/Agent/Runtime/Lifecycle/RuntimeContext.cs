using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Lifecycle;

/// <summary>What every lifecycle operation needs: where state lives, the native helper, and the cgroup driver.</summary>
public sealed class RuntimeContext(StateStore store, string initPath, Func<string, ICgroupManager> cgroups)
{
    public StateStore Store { get; } = store;

    /// <summary>Path of ccinit, the static clone→exec helper.</summary>
    public string InitPath { get; } = initPath;

    public Func<string, ICgroupManager> Cgroups { get; } = cgroups;

    /// <summary>Whether labels are applied; read once per command (this kernel has no SELinux: false).</summary>
    public bool SeLinuxEnabled => _seLinux.Value.Enabled;

    // The selinuxfs check first: reading mountinfo on every create would cost more than the answer is worth here.
    private readonly Lazy<Security.SeLinuxState> _seLinux = new(() =>
        File.Exists(Security.SeLinux.DefaultMountPoint + "/enforce") ? Security.SeLinux.Detect() : Security.SeLinuxState.Disabled("no selinuxfs"));

    /// <summary>The default: state under root, ccinit next to the running binary, the host's cgroup layout.</summary>
    public static RuntimeContext ForHost(string root, string? initPath = null)
    {
        var factory = new CgroupManagerFactory();
        return new(new StateStore(root), initPath ?? LocateInit(), factory.Create);
    }

    public static string LocateInit()
    {
        var env = Environment.GetEnvironmentVariable("CONTAINERCONSOLE_INIT");
        if (!string.IsNullOrEmpty(env))
            return env;
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(Environment.ProcessPath) ?? "" })
        {
            var candidate = Path.Combine(dir, "ccinit");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException("ccinit (the native container init helper) was not found next to this program; set CONTAINERCONSOLE_INIT");
    }

    /// <summary>Hierarchies to mount at /sys/fs/cgroup inside containers, read from /proc/self/cgroup.</summary>
    public static IReadOnlyList<CgroupMountSource> HostCgroupHierarchies()
    {
        var list = new List<CgroupMountSource>();
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length < 3)
                continue;
            if (parts[0] == "0" && parts[1].Length == 0)
                list.Add(new CgroupMountSource("unified", "cgroup2", ""));
            else if (parts[1].StartsWith("name=", StringComparison.Ordinal))
                list.Add(new CgroupMountSource(parts[1][5..], "cgroup", parts[1]));
            else if (parts[1].Length > 0)
                list.Add(new CgroupMountSource(parts[1], "cgroup", parts[1]));
        }
        return list; // pure v2 is the single "unified" entry; the planner mounts it at /sys/fs/cgroup itself
    }
}
