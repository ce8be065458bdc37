using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Spec;
using static ContainerConsole.Runtime.Cgroups.CgroupCommon;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>
/// cgroup v1: one directory per hierarchy, all at the same cgroupsPath below each hierarchy's mount point.
/// Hierarchies that are not mounted are skipped; asking for a limit of a missing controller throws.
/// </summary>
public sealed class CgroupV1Manager : ICgroupManager
{
    /// <summary>The hierarchies a container joins (others, e.g. net_cls, are left alone).</summary>
    public static readonly IReadOnlyList<string> JoinedSubsystems =
        ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "name=systemd"];

    private readonly ICgroupFs _fs;
    private readonly CgroupOptions _options;
    private readonly Dictionary<string, string> _dirBySubsystem = new(StringComparer.Ordinal);
    private readonly List<Hierarchy> _hierarchies = [];
    private readonly List<string> _warnings = [];

    private sealed record Hierarchy(string Key, string Mount, string Dir, bool HasCpuset);

    /// <param name="cgroupsPath">"/a/b" or systemd "slice:prefix:name"; path below each hierarchy root (see <see cref="CgroupPaths.Resolve"/>).</param>
    /// <param name="mounts">Subsystem name ("memory", "name=systemd", ...) → mount point; co-mounted subsystems share one.</param>
    public CgroupV1Manager(string cgroupsPath, IReadOnlyDictionary<string, string> mounts, ICgroupFs? fs = null, CgroupOptions? options = null)
    {
        Path = CgroupPaths.Resolve(cgroupsPath);
        _fs = fs ?? new RealCgroupFs();
        _options = options ?? new CgroupOptions();

        var byMount = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var sub in JoinedSubsystems)
        {
            if (!mounts.TryGetValue(sub, out var mount))
                continue;
            mount = mount.TrimEnd('/');
            _dirBySubsystem[sub] = mount + Path;
            if (!byMount.TryGetValue(mount, out var subs))
                byMount[mount] = subs = [];
            subs.Add(sub);
        }
        foreach (var (mount, subs) in byMount)
            _hierarchies.Add(new Hierarchy(string.Join(',', subs), mount, mount + Path, subs.Contains("cpuset")));

        ProcsFiles = _hierarchies.ToDictionary(h => h.Key, h => h.Dir + "/cgroup.procs", StringComparer.Ordinal);
    }

    public string Path { get; }

    public IReadOnlyList<string> Warnings => _warnings;

    public IReadOnlyDictionary<string, string> ProcsFiles { get; }

    /// <summary>Directory of this cgroup in the given subsystem's hierarchy, or null if not mounted.</summary>
    public string? DirectoryOf(string subsystem) => _dirBySubsystem.GetValueOrDefault(subsystem);

    public string? OomCounterFile => DirectoryOf("memory") is { } d ? d + "/memory.oom_control" : null;

    public void Create()
    {
        foreach (var h in _hierarchies)
        {
            var cur = h.Mount;
            foreach (var part in CgroupPaths.Split(Path))
            {
                var parent = cur;
                cur = $"{cur}/{part}";
                _fs.CreateDirectory(cur);
                if (h.HasCpuset)
                    CopyCpusetFromParent(parent, cur);
            }
        }
    }

    // A new v1 cpuset cgroup starts with empty cpus/mems (unless the parent has clone_children) and
    // refuses tasks (ENOSPC) until both are set, so fill every level from its parent on the way down.
    private void CopyCpusetFromParent(string parent, string dir)
    {
        foreach (var file in (ReadOnlySpan<string>)["cpuset.cpus", "cpuset.mems"])
        {
            if (_fs.ReadFile($"{dir}/{file}").Trim().Length != 0)
                continue;
            var value = _fs.ReadFile($"{parent}/{file}").Trim();
            if (value.Length != 0)
                _fs.WriteFile($"{dir}/{file}", value);
        }
    }

    public void Apply(LinuxResources? resources)
    {
        if (resources is null)
            return;
        if (resources.Unified.Count > 0)
            throw new SpecValidationException("linux.resources.unified requires cgroup v2, but this host uses cgroup v1");

        // Validate everything before the first write so a bad spec does not leave half-applied limits.
        var deviceLines = DeviceLines(resources.Devices);
        var mem = resources.Memory;
        if (mem?.Swappiness is > 100)
            throw new SpecValidationException($"linux.resources.memory.swappiness {mem.Swappiness} must be 0..100");
        if (mem is { Limit: > 0, Swap: > 0 } && mem.Swap < mem.Limit)
            throw new SpecValidationException($"linux.resources.memory.swap {mem.Swap} (memory+swap) is below memory.limit {mem.Limit}");

        ApplyCpuset(resources.Cpu);
        ApplyMemory(mem);
        ApplyCpu(resources.Cpu);
        ApplyPids(resources.Pids);
        ApplyBlkio(resources.BlockIO);
        ApplyDevices(deviceLines);
    }

    private string Require(string subsystem) =>
        DirectoryOf(subsystem) ?? throw new CgroupException($"cgroup v1 {subsystem} hierarchy is not mounted");

    private void ApplyCpuset(CpuResources? cpu)
    {
        if (string.IsNullOrEmpty(cpu?.Cpus) && string.IsNullOrEmpty(cpu?.Mems))
            return;
        var dir = Require("cpuset");
        if (!string.IsNullOrEmpty(cpu.Cpus))
            _fs.WriteFile($"{dir}/cpuset.cpus", cpu.Cpus);
        if (!string.IsNullOrEmpty(cpu.Mems))
            _fs.WriteFile($"{dir}/cpuset.mems", cpu.Mems);
    }

    private void ApplyMemory(MemoryResources? m)
    {
        if (m is null)
            return;
        var dir = Require("memory");
        // 0 means "not set" (as runc reads it); -1 means unlimited.
        long? limit = m.Limit is 0 ? null : m.Limit;
        long? swap = m.Swap is 0 ? null : m.Swap;
        var limitFile = $"{dir}/memory.limit_in_bytes";
        var memswFile = $"{dir}/memory.memsw.limit_in_bytes";
        var hasMemsw = _fs.FileExists(memswFile);

        // Lifting the limit while memsw stays finite would fail (limit > memsw), so lift both.
        if (limit == -1 && swap is null && hasMemsw)
            swap = -1;
        if (swap is not null && !hasMemsw)
        {
            if (swap != -1)
                _warnings.Add($"memory.swap {swap} ignored: no memory.memsw.limit_in_bytes (swap accounting disabled)");
            swap = null;
        }

        if (limit is not null && swap is not null)
        {
            // The kernel insists memsw >= limit at every moment. If the new memsw is at least the
            // current limit it can go first (raising); otherwise the limit must drop first (lowering).
            var current = ParseLimit(_fs.ReadFile(limitFile)) ?? ulong.MaxValue;
            if (swap == -1 || (ulong)swap.Value >= current)
            {
                _fs.WriteFile(memswFile, Str(swap.Value));
                _fs.WriteFile(limitFile, Str(limit.Value));
            }
            else
            {
                _fs.WriteFile(limitFile, Str(limit.Value));
                _fs.WriteFile(memswFile, Str(swap.Value));
            }
        }
        else if (limit is not null)
        {
            _fs.WriteFile(limitFile, Str(limit.Value));
        }
        else if (swap is not null)
        {
            _fs.WriteFile(memswFile, Str(swap.Value));
        }

        if (m.Reservation is { } reservation and not 0)
            _fs.WriteFile($"{dir}/memory.soft_limit_in_bytes", Str(reservation));
        if (m.Swappiness is { } swappiness)
            _fs.WriteFile($"{dir}/memory.swappiness", Str(swappiness));
        if (m.DisableOOMKiller is { } disable)
            _fs.WriteFile($"{dir}/memory.oom_control", disable ? "1" : "0");
    }

    private void ApplyCpu(CpuResources? cpu)
    {
        if (cpu is null || (cpu.Shares is null or 0 && cpu.Quota is null or 0 && cpu.Period is null or 0))
            return;
        var dir = Require("cpu");
        if (cpu.Shares is { } shares and not 0)
            _fs.WriteFile($"{dir}/cpu.shares", Str(shares));

        var hasQuota = cpu.Quota is not null and not 0;
        var retryPeriod = false;
        if (cpu.Period is { } period and not 0)
        {
            try
            {
                _fs.WriteFile($"{dir}/cpu.cfs_period_us", Str(period));
            }
            catch (CgroupException e) when (e.Errno == Errnos.EINVAL && hasQuota)
            {
                // A smaller period can make old_quota/new_period exceed the parent's bandwidth;
                // the kernel accepts it once the new quota is in, so retry after writing the quota.
                retryPeriod = true;
            }
        }
        if (hasQuota)
            _fs.WriteFile($"{dir}/cpu.cfs_quota_us", cpu.Quota < 0 ? "-1" : Str(cpu.Quota!.Value));
        if (retryPeriod)
            _fs.WriteFile($"{dir}/cpu.cfs_period_us", Str(cpu.Period!.Value));
    }

    private void ApplyPids(PidsResources? pids)
    {
        if (pids is null)
            return;
        _fs.WriteFile($"{Require("pids")}/pids.max", pids.Limit > 0 ? Str(pids.Limit) : "max");
    }

    private void ApplyBlkio(BlockIoResources? blkio)
    {
        if (blkio?.Weight is not { } weight)
            return;
        var dir = DirectoryOf("blkio");
        // blkio.weight belonged to CFQ (gone since 5.0); BFQ exposes the same 1..1000 scale.
        foreach (var file in (ReadOnlySpan<string>)["blkio.weight", "blkio.bfq.weight"])
        {
            if (dir is not null && _fs.FileExists($"{dir}/{file}"))
            {
                _fs.WriteFile($"{dir}/{file}", Str(weight));
                return;
            }
        }
        _warnings.Add($"blockIO.weight {weight} ignored: neither blkio.weight nor blkio.bfq.weight exists");
    }

    /// <summary>"c 1:3 rwm" lines for devices.allow/deny, validated.</summary>
    private static List<(bool Allow, string Line)> DeviceLines(List<DeviceCgroupRule> rules)
    {
        var lines = new List<(bool, string)>(rules.Count);
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            var type = NormalizeDeviceType(r.Type, i);
            var major = CheckDeviceNumber(r.Major, "major", i);
            var minor = CheckDeviceNumber(r.Minor, "minor", i);
            var access = NormalizeAccess(r.Access, i);
            lines.Add((r.Allow, $"{type} {(major is { } ma ? Str(ma) : "*")}:{(minor is { } mi ? Str(mi) : "*")} {access}"));
        }
        return lines;
    }

    private void ApplyDevices(List<(bool Allow, string Line)> lines)
    {
        if (lines.Count == 0)
            return;
        var dir = Require("devices");
        // Start from deny-all so the rules are the whole whitelist, then replay them in order. On a live
        // update the running container briefly sees deny-all between these writes (runc avoids it by diffing).
        _fs.WriteFile($"{dir}/devices.deny", "a");
        foreach (var (allow, line) in lines)
            _fs.WriteFile($"{dir}/{(allow ? "devices.allow" : "devices.deny")}", line);
    }

    public void AddProcess(int pid)
    {
        foreach (var h in _hierarchies)
            _fs.WriteFile($"{h.Dir}/cgroup.procs", Str(pid));
    }

    public void Freeze()
    {
        var file = $"{Require("freezer")}/freezer.state";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            // Re-writing FROZEN retries tasks that were busy (e.g. mid-fork) when the freeze began.
            _fs.WriteFile(file, "FROZEN");
            if (ParseV1State(_fs.ReadFile(file)) == CgroupFreezerState.Frozen)
                return;
            if (sw.Elapsed >= _options.FreezeTimeout)
            {
                _fs.WriteFile(file, "THAWED");
                throw new CgroupException($"freezing {Path} did not complete within {_options.FreezeTimeout.TotalSeconds:0.#}s");
            }
            // A forking storm can keep a cgroup FREEZING forever; a short thaw lets it settle.
            if (attempt % 50 == 0)
                _fs.WriteFile(file, "THAWED");
            Thread.Sleep(_options.PollInterval);
        }
    }

    public void Thaw()
    {
        var file = $"{Require("freezer")}/freezer.state";
        _fs.WriteFile(file, "THAWED");
        if (!WaitUntil(() => ParseV1State(_fs.ReadFile(file)) == CgroupFreezerState.Thawed, _options.FreezeTimeout, _options.PollInterval))
            throw new CgroupException($"thawing {Path} did not complete within {_options.FreezeTimeout.TotalSeconds:0.#}s");
    }

    public CgroupFreezerState GetFreezerState()
    {
        var dir = DirectoryOf("freezer");
        if (dir is null || !_fs.FileExists($"{dir}/freezer.state"))
            return CgroupFreezerState.Undefined;
        return ParseV1State(_fs.ReadFile($"{dir}/freezer.state"));
    }

    internal static CgroupFreezerState ParseV1State(string text) => text.Trim() switch
    {
        "THAWED" => CgroupFreezerState.Thawed,
        "FREEZING" => CgroupFreezerState.Freezing,
        "FROZEN" => CgroupFreezerState.Frozen,
        _ => CgroupFreezerState.Undefined,
    };

    public IReadOnlyList<int> GetPids()
    {
        var pids = new List<int>();
        var dir = DirectoryOf("freezer") ?? DirectoryOf("pids") ?? DirectoryOf("memory") ?? _hierarchies.FirstOrDefault()?.Dir;
        if (dir is not null)
            CollectPids(_fs, dir, pids);
        return pids;
    }

    public ulong GetOomKillCount()
    {
        var file = OomCounterFile;
        return file is not null && _fs.FileExists(file) ? ParseOomKill(_fs.ReadFile(file)) : 0;
    }

    public CgroupStats GetStats()
    {
        ulong memUsage = 0, memMax = 0, memCache = 0;
        ulong? memLimit = null;
        var memStat = new Dictionary<string, ulong>();
        if (DirectoryOf("memory") is { } mem && _fs.DirectoryExists(mem))
        {
            memUsage = ReadUlong(_fs, $"{mem}/memory.usage_in_bytes");
            memMax = ReadUlong(_fs, $"{mem}/memory.max_usage_in_bytes");
            if (_fs.FileExists($"{mem}/memory.limit_in_bytes"))
                memLimit = ParseLimit(_fs.ReadFile($"{mem}/memory.limit_in_bytes"));
            memStat = ReadFlatKeyed(_fs, $"{mem}/memory.stat");
            memCache = memStat.TryGetValue("total_cache", out var tc) ? tc : memStat.GetValueOrDefault("cache");
        }

        ulong cpuTotal = 0, cpuUser = 0, cpuSys = 0;
        IReadOnlyList<ulong> perCpu = [];
        if (DirectoryOf("cpuacct") is { } acct && _fs.DirectoryExists(acct))
        {
            cpuTotal = ReadUlong(_fs, $"{acct}/cpuacct.usage");
            if (_fs.FileExists($"{acct}/cpuacct.usage_percpu"))
                perCpu = ParseUlongList(_fs.ReadFile($"{acct}/cpuacct.usage_percpu"));
            if (_fs.FileExists($"{acct}/cpuacct.usage_user"))
            {
                cpuUser = ReadUlong(_fs, $"{acct}/cpuacct.usage_user");
                cpuSys = ReadUlong(_fs, $"{acct}/cpuacct.usage_sys");
            }
            else
            {
                // Older kernels only have cpuacct.stat, in USER_HZ ticks (100 on every Linux ABI).
                var stat = ReadFlatKeyed(_fs, $"{acct}/cpuacct.stat");
                cpuUser = stat.GetValueOrDefault("user") * 10_000_000;
                cpuSys = stat.GetValueOrDefault("system") * 10_000_000;
            }
        }
        var cpuStat = DirectoryOf("cpu") is { } cpu ? ReadFlatKeyed(_fs, $"{cpu}/cpu.stat") : new Dictionary<string, ulong>();

        ulong pidsCurrent = 0;
        ulong? pidsLimit = null;
        if (DirectoryOf("pids") is { } pids && _fs.FileExists($"{pids}/pids.current"))
        {
            pidsCurrent = ReadUlong(_fs, $"{pids}/pids.current");
            pidsLimit = ParseLimit(_fs.ReadFile($"{pids}/pids.max"));
        }

        ulong ioRead = 0, ioWrite = 0;
        if (DirectoryOf("blkio") is { } blkio)
        {
            foreach (var file in (ReadOnlySpan<string>)["blkio.throttle.io_service_bytes_recursive", "blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive"])
            {
                if (_fs.FileExists($"{blkio}/{file}"))
                {
                    (ioRead, ioWrite) = ParseBlkioServiceBytes(_fs.ReadFile($"{blkio}/{file}"));
                    break;
                }
            }
        }

        return new CgroupStats
        {
            MemoryUsage = memUsage,
            MemoryLimit = memLimit,
            MemoryMaxUsage = memMax,
            MemoryCache = memCache,
            MemoryStat = memStat,
            CpuUsagePerCpuNs = perCpu,
            CpuUsageTotalNs = cpuTotal,
            CpuUsageUserNs = cpuUser,
            CpuUsageSystemNs = cpuSys,
            CpuPeriods = cpuStat.GetValueOrDefault("nr_periods"),
            CpuThrottledPeriods = cpuStat.GetValueOrDefault("nr_throttled"),
            CpuThrottledTimeNs = cpuStat.GetValueOrDefault("throttled_time"),
            PidsCurrent = pidsCurrent,
            PidsLimit = pidsLimit,
            IoReadBytes = ioRead,
            IoWriteBytes = ioWrite,
        };
    }

    /// <summary>Space-separated counters (cpuacct.usage_percpu).</summary>
    internal static List<ulong> ParseUlongList(string text) =>
        text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(v => ulong.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0).ToList();

    /// <summary>Sums "MAJ:MIN Read N" / "MAJ:MIN Write N" lines (the "Total" line is skipped).</summary>
    internal static (ulong Read, ulong Write) ParseBlkioServiceBytes(string text)
    {
        ulong read = 0, write = 0;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 3 || !ulong.TryParse(f[2], out var v))
                continue;
            if (f[1] == "Read")
                read += v;
            else if (f[1] == "Write")
                write += v;
        }
        return (read, write);
    }

    public void KillAll(int signal)
    {
        SignalFrozen(this, DirectoryOf("freezer") is not null, signal, _options);
    }

    public void Destroy()
    {
        if (GetPids().Count > 0)
            KillAll(SIGKILL);
        foreach (var h in _hierarchies)
            RemoveTree(_fs, h.Dir, _options);
    }
}
