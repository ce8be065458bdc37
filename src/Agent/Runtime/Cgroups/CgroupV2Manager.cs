using ContainerConsole.Runtime.Spec;
using static ContainerConsole.Runtime.Cgroups.CgroupCommon;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>cgroup v2: one directory in the unified hierarchy, at root + cgroupsPath.</summary>
public sealed class CgroupV2Manager : ICgroupManager
{
    /// <summary>Controllers enabled (when available) in every ancestor's cgroup.subtree_control.</summary>
    public static readonly IReadOnlyList<string> WantedControllers = ["cpuset", "cpu", "io", "memory", "pids", "hugetlb"];

    private readonly ICgroupFs _fs;
    private readonly CgroupOptions _options;
    private readonly string _root;
    private readonly List<string> _warnings = [];

    /// <param name="cgroupsPath">"/a/b" or systemd "slice:prefix:name"; path below the unified root (see <see cref="CgroupPaths.Resolve"/>).</param>
    /// <param name="unifiedRoot">Mount point of cgroup2 (/sys/fs/cgroup on a pure v2 host).</param>
    public CgroupV2Manager(string cgroupsPath, string unifiedRoot = "/sys/fs/cgroup", ICgroupFs? fs = null, CgroupOptions? options = null)
    {
        Path = CgroupPaths.Resolve(cgroupsPath);
        _root = unifiedRoot.TrimEnd('/');
        Directory = _root + Path;
        _fs = fs ?? new RealCgroupFs();
        _options = options ?? new CgroupOptions();
        ProcsFiles = new Dictionary<string, string>(StringComparer.Ordinal) { ["unified"] = Directory + "/cgroup.procs" };
    }

    public string Path { get; }

    /// <summary>Absolute directory of this cgroup.</summary>
    public string Directory { get; }

    public IReadOnlyList<string> Warnings => _warnings;

    public IReadOnlyDictionary<string, string> ProcsFiles { get; }

    public string? OomCounterFile => Directory + "/memory.events";

    private string F(string name) => $"{Directory}/{name}";

    /// <summary>
    /// OCI cpu.shares (v1 scale 2..262144, default 1024) → cpu.weight (1..10000, default 100), the linear
    /// map runc and crun use: 1 + ((shares - 2) * 9999) / 262142. It maps 2→1 and 262144→10000, but the
    /// v1 default 1024 becomes 39, not 100. Out-of-range shares are clamped first.
    /// </summary>
    public static ulong SharesToWeight(ulong shares)
    {
        shares = Math.Clamp(shares, 2UL, 262144UL);
        return 1 + ((shares - 2) * 9999) / 262142;
    }

    /// <summary>OCI blockIO.weight (10..1000) → io.weight (1..10000): 1 + (w - 10) * 9999 / 990.</summary>
    public static ulong BlkioWeightToIoWeight(ushort weight)
    {
        var w = Math.Clamp((ulong)weight, 10UL, 1000UL);
        return 1 + (w - 10) * 9999 / 990;
    }

    public void Create()
    {
        var cur = _root;
        foreach (var part in CgroupPaths.Split(Path))
        {
            // Controllers must be enabled in the parent before the child has their files; the leaf's own
            // subtree_control stays empty because a cgroup with processes may not delegate ("no internal processes").
            EnableControllers(cur);
            cur = $"{cur}/{part}";
            _fs.CreateDirectory(cur);
        }
    }

    private void EnableControllers(string dir)
    {
        var controllersFile = $"{dir}/cgroup.controllers";
        if (!_fs.FileExists(controllersFile))
            return;
        var available = _fs.ReadFile(controllersFile).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var enabled = _fs.ReadFile($"{dir}/cgroup.subtree_control").Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var c in WantedControllers)
        {
            if (!available.Contains(c) || enabled.Contains(c))
                continue;
            try
            {
                // One controller per write: a multi-token write fails as a whole (e.g. cpu refuses while
                // realtime tasks exist), which would lose the others.
                _fs.WriteFile($"{dir}/cgroup.subtree_control", "+" + c);
            }
            catch (CgroupException e)
            {
                _warnings.Add($"could not enable {c} in {dir}: {e.Message}");
            }
        }
    }

    public void Apply(LinuxResources? resources)
    {
        if (resources is null)
            return;

        // Validate and compute everything before the first write.
        IReadOnlyList<BpfInstruction>? deviceProgram = resources.Devices.Count > 0 ? DeviceFilterProgram.Generate(resources.Devices) : null;
        foreach (var key in resources.Unified.Keys)
        {
            if (key.Length == 0 || key.Contains('/') || key is "." or "..")
                throw new SpecValidationException($"linux.resources.unified key \"{key}\" is not a cgroup file name");
            if (!_fs.FileExists(F(key)))
                throw new CgroupException($"linux.resources.unified \"{key}\": no such file in {Directory} (controller not enabled?)");
        }
        var mem = resources.Memory;
        if (mem?.Swappiness is > 100)
            throw new SpecValidationException($"linux.resources.memory.swappiness {mem.Swappiness} must be 0..100");
        var swapMax = mem is null ? null : SwapMax(mem);

        ApplyCpuset(resources.Cpu);
        ApplyMemory(mem, swapMax);
        ApplyCpu(resources.Cpu);
        if (resources.Pids is { } pids)
            _fs.WriteFile(F("pids.max"), pids.Limit > 0 ? Str(pids.Limit) : "max");
        ApplyIo(resources.BlockIO);
        if (deviceProgram is not null)
            (_options.DeviceFilterLoader ?? new BpfDeviceFilterLoader()).Install(Directory, deviceProgram);
        foreach (var (key, value) in resources.Unified)
            _fs.WriteFile(F(key), value);
    }

    /// <summary>
    /// OCI memory.swap is memory+swap; v2 memory.swap.max is swap alone, so it is swap - limit.
    /// -1 → "max". When the spec carries no limit (live update of swap alone) the current memory.max is used.
    /// </summary>
    private string? SwapMax(MemoryResources m)
    {
        if (m.Swap is null or 0)
            return null;
        if (m.Swap == -1)
            return "max";
        if (m.Swap < -1)
            throw new SpecValidationException($"linux.resources.memory.swap {m.Swap} is invalid");
        long? limit = m.Limit is null or 0 ? null : m.Limit;
        if (limit is null && _fs.FileExists(F("memory.max")) && ParseLimit(_fs.ReadFile(F("memory.max"))) is { } cur)
            limit = (long)cur;
        if (limit is null or -1)
            throw new SpecValidationException($"linux.resources.memory.swap {m.Swap} needs a memory limit (it counts memory+swap)");
        if (m.Swap < limit)
            throw new SpecValidationException($"linux.resources.memory.swap {m.Swap} (memory+swap) is below memory.limit {limit}");
        return Str(m.Swap.Value - limit.Value);
    }

    private void ApplyCpuset(CpuResources? cpu)
    {
        if (!string.IsNullOrEmpty(cpu?.Cpus))
            _fs.WriteFile(F("cpuset.cpus"), cpu.Cpus);
        if (!string.IsNullOrEmpty(cpu?.Mems))
            _fs.WriteFile(F("cpuset.mems"), cpu.Mems);
    }

    private void ApplyMemory(MemoryResources? m, string? swapMax)
    {
        if (m is null)
            return;
        if (m.Limit is { } limit and not 0)
            _fs.WriteFile(F("memory.max"), limit < 0 ? "max" : Str(limit));
        if (swapMax is not null)
        {
            // memory.swap.max only exists with swap accounting (CONFIG_MEMCG_SWAP / swapaccount=1).
            if (_fs.FileExists(F("memory.swap.max")))
                _fs.WriteFile(F("memory.swap.max"), swapMax);
            else if (swapMax != "max")
                _warnings.Add($"memory.swap ignored: no memory.swap.max (swap accounting disabled)");
        }
        if (m.Reservation is { } reservation and not 0)
            _fs.WriteFile(F("memory.low"), reservation < 0 ? "max" : Str(reservation));
        if (m.Swappiness is not null)
            _warnings.Add("memory.swappiness ignored: cgroup v2 has no per-cgroup swappiness");
        if (m.DisableOOMKiller == true)
            _warnings.Add("memory.disableOOMKiller ignored: cgroup v2 cannot disable the OOM killer per cgroup");
    }

    private void ApplyCpu(CpuResources? cpu)
    {
        if (cpu is null)
            return;
        if (cpu.Shares is { } shares and not 0)
            _fs.WriteFile(F("cpu.weight"), Str(SharesToWeight(shares)));

        var hasQuota = cpu.Quota is not null and not 0;
        var hasPeriod = cpu.Period is not null and not 0;
        if (!hasQuota && !hasPeriod)
            return;
        // cpu.max is "$QUOTA $PERIOD" in one file; keep the current quota when only the period changes.
        string quota;
        if (hasQuota)
            quota = cpu.Quota < 0 ? "max" : Str(cpu.Quota!.Value);
        else
            quota = _fs.FileExists(F("cpu.max")) ? _fs.ReadFile(F("cpu.max")).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "max" : "max";
        _fs.WriteFile(F("cpu.max"), hasPeriod ? $"{quota} {Str(cpu.Period!.Value)}" : quota);
    }

    private void ApplyIo(BlockIoResources? io)
    {
        if (io?.Weight is not { } weight)
            return;
        // BFQ's weight uses the OCI (v1) scale 1..1000 unchanged; io.weight (iocost) is 1..10000.
        if (_fs.FileExists(F("io.bfq.weight")))
            _fs.WriteFile(F("io.bfq.weight"), Str(weight));
        else if (_fs.FileExists(F("io.weight")))
            _fs.WriteFile(F("io.weight"), $"default {Str(BlkioWeightToIoWeight(weight))}");
        else
            _warnings.Add($"blockIO.weight {weight} ignored: neither io.bfq.weight nor io.weight exists");
    }

    public void AddProcess(int pid) => _fs.WriteFile(F("cgroup.procs"), Str(pid));

    private string RequireFreeze()
    {
        var file = F("cgroup.freeze");
        if (!_fs.FileExists(file))
            throw new CgroupException($"{Directory} has no cgroup.freeze (kernel older than 5.2)");
        return file;
    }

    private bool EventsFrozen() =>
        ParseFlatKeyed(_fs.ReadFile(F("cgroup.events"))).GetValueOrDefault("frozen") == 1;

    public void Freeze()
    {
        var file = RequireFreeze();
        _fs.WriteFile(file, "1");
        // The write only requests the freeze; cgroup.events says "frozen 1" once every task has stopped.
        if (!WaitUntil(EventsFrozen, _options.FreezeTimeout, _options.PollInterval))
        {
            _fs.WriteFile(file, "0");
            throw new CgroupException($"freezing {Path} did not complete within {_options.FreezeTimeout.TotalSeconds:0.#}s");
        }
    }

    public void Thaw()
    {
        var file = RequireFreeze();
        _fs.WriteFile(file, "0");
        if (!WaitUntil(() => !EventsFrozen(), _options.FreezeTimeout, _options.PollInterval))
            throw new CgroupException($"thawing {Path} did not complete within {_options.FreezeTimeout.TotalSeconds:0.#}s");
    }

    public CgroupFreezerState GetFreezerState()
    {
        var file = F("cgroup.freeze");
        if (!_fs.FileExists(file))
            return CgroupFreezerState.Undefined;
        if (_fs.ReadFile(file).Trim() == "0")
            return CgroupFreezerState.Thawed;
        return EventsFrozen() ? CgroupFreezerState.Frozen : CgroupFreezerState.Freezing;
    }

    public IReadOnlyList<int> GetPids()
    {
        var pids = new List<int>();
        CollectPids(_fs, Directory, pids);
        return pids;
    }

    public ulong GetOomKillCount() =>
        _fs.FileExists(F("memory.events")) ? ParseOomKill(_fs.ReadFile(F("memory.events"))) : 0;

    public CgroupStats GetStats()
    {
        var memStat = ReadFlatKeyed(_fs, F("memory.stat"));
        var cpuStat = ReadFlatKeyed(_fs, F("cpu.stat"));
        ulong ioRead = 0, ioWrite = 0;
        if (_fs.FileExists(F("io.stat")))
            (ioRead, ioWrite) = ParseIoStat(_fs.ReadFile(F("io.stat")));
        return new CgroupStats
        {
            MemoryUsage = ReadUlong(_fs, F("memory.current")),
            MemoryLimit = _fs.FileExists(F("memory.max")) ? ParseLimit(_fs.ReadFile(F("memory.max"))) : null,
            MemoryMaxUsage = ReadUlong(_fs, F("memory.peak")),
            MemoryCache = memStat.GetValueOrDefault("file"),
            MemoryStat = memStat,
            // cpu.stat is in microseconds on v2.
            CpuUsageTotalNs = cpuStat.GetValueOrDefault("usage_usec") * 1000,
            CpuUsageUserNs = cpuStat.GetValueOrDefault("user_usec") * 1000,
            CpuUsageSystemNs = cpuStat.GetValueOrDefault("system_usec") * 1000,
            CpuPeriods = cpuStat.GetValueOrDefault("nr_periods"),
            CpuThrottledPeriods = cpuStat.GetValueOrDefault("nr_throttled"),
            CpuThrottledTimeNs = cpuStat.GetValueOrDefault("throttled_usec") * 1000,
            PidsCurrent = ReadUlong(_fs, F("pids.current")),
            PidsLimit = _fs.FileExists(F("pids.max")) ? ParseLimit(_fs.ReadFile(F("pids.max"))) : null,
            IoReadBytes = ioRead,
            IoWriteBytes = ioWrite,
        };
    }

    /// <summary>Sums rbytes=/wbytes= over the per-device lines of io.stat ("8:0 rbytes=1 wbytes=2 rios=...").</summary>
    internal static (ulong Read, ulong Write) ParseIoStat(string text)
    {
        ulong read = 0, write = 0;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var field in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = field.IndexOf('=');
                if (eq < 0 || !ulong.TryParse(field.AsSpan(eq + 1), out var v))
                    continue;
                if (field.StartsWith("rbytes=", StringComparison.Ordinal))
                    read += v;
                else if (field.StartsWith("wbytes=", StringComparison.Ordinal))
                    write += v;
            }
        }
        return (read, write);
    }

    public void KillAll(int signal)
    {
        // cgroup.kill (5.14+) SIGKILLs the whole subtree atomically, forks included.
        if (signal == SIGKILL && _fs.FileExists(F("cgroup.kill")))
        {
            _fs.WriteFile(F("cgroup.kill"), "1");
            return;
        }
        SignalFrozen(this, _fs.FileExists(F("cgroup.freeze")), signal, _options);
    }

    public void Destroy()
    {
        if (GetPids().Count > 0)
            KillAll(SIGKILL);
        RemoveTree(_fs, Directory, _options);
    }
}
