using System.Collections.Frozen;
using System.Text;

namespace ContainerConsole.Runtime.Cgroups;

public enum CgroupMode
{
    /// <summary>Only cgroup v1 hierarchies.</summary>
    Legacy,
    /// <summary>v1 controllers plus a cgroup2 mount without them (systemd's /sys/fs/cgroup/unified).</summary>
    Hybrid,
    /// <summary>cgroup2 only.</summary>
    Unified,
}

/// <summary>What /proc/self/mountinfo says about the cgroup filesystems.</summary>
public sealed class CgroupLayout
{
    public required CgroupMode Mode { get; init; }

    /// <summary>v1 subsystem ("memory", "cpuacct", "name=systemd", ...) → mount point.</summary>
    public required IReadOnlyDictionary<string, string> V1Mounts { get; init; }

    /// <summary>cgroup2 mount point, if any.</summary>
    public string? UnifiedMount { get; init; }
}

/// <summary>Picks the v1 or v2 manager for this host from the mount table.</summary>
public sealed class CgroupManagerFactory
{
    private static readonly FrozenSet<string> V1Controllers = FrozenSet.Create(StringComparer.Ordinal,
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio",
        "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc");

    private readonly ICgroupFs _fs;
    private readonly CgroupOptions? _options;
    private readonly string _mountInfoPath;
    private CgroupLayout? _layout;

    /// <param name="mountInfoPath">Read through <paramref name="fs"/>; tests point it (and the mount points in it) at fakes.</param>
    public CgroupManagerFactory(ICgroupFs? fs = null, CgroupOptions? options = null, string mountInfoPath = "/proc/self/mountinfo")
    {
        _fs = fs ?? new RealCgroupFs();
        _options = options;
        _mountInfoPath = mountInfoPath;
    }

    public CgroupLayout DetectLayout() => _layout ??= ParseMountInfo(_fs.ReadFile(_mountInfoPath));

    /// <summary>Manager for a spec's linux.cgroupsPath (null → /containerconsole/&lt;id&gt;).</summary>
    public ICgroupManager Create(string? specCgroupsPath, string containerId) =>
        Create(CgroupPaths.Resolve(specCgroupsPath, containerId));

    /// <summary>Manager for an already resolved path. Any v1 controller mounted (legacy or hybrid) → v1.</summary>
    public ICgroupManager Create(string cgroupsPath)
    {
        var layout = DetectLayout();
        return layout.Mode == CgroupMode.Unified
            ? new CgroupV2Manager(cgroupsPath, layout.UnifiedMount!, _fs, _options)
            : new CgroupV1Manager(cgroupsPath, layout.V1Mounts, _fs, _options);
    }

    /// <summary>
    /// Parses mountinfo lines "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".
    /// A v1 mount's controllers are in its super options ("rw,cpu,cpuacct"); "name=systemd" counts as a
    /// hierarchy but not as a controller. The first mount of each controller wins (bind mounts repeat them).
    /// </summary>
    public static CgroupLayout ParseMountInfo(string mountInfo)
    {
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        string? unified = null;
        var anyV1Controller = false;
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            var sep = Array.IndexOf(f, "-", 6);
            if (sep < 0 || f.Length < sep + 4)
                continue;
            var mountPoint = Unescape(f[4]);
            var fsType = f[sep + 1];
            if (fsType == "cgroup2")
            {
                // Prefer the canonical location if cgroup2 is mounted more than once.
                if (unified is null || mountPoint == "/sys/fs/cgroup")
                    unified = mountPoint;
            }
            else if (fsType == "cgroup")
            {
                foreach (var opt in f[sep + 3].Split(','))
                {
                    var isController = V1Controllers.Contains(opt);
                    if (!isController && !opt.StartsWith("name=", StringComparison.Ordinal))
                        continue;
                    anyV1Controller |= isController;
                    v1.TryAdd(opt, mountPoint);
                }
            }
        }

        CgroupMode mode;
        if (anyV1Controller)
            mode = unified is null ? CgroupMode.Legacy : CgroupMode.Hybrid;
        else if (unified is not null)
            mode = CgroupMode.Unified;
        else
            throw new CgroupException("no cgroup filesystem is mounted (neither cgroup v1 controllers nor cgroup2)");
        return new CgroupLayout { Mode = mode, V1Mounts = v1, UnifiedMount = unified };
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\'))
            return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length
                && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                sb.Append((char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
