using System.Globalization;
using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Runtime.Tests.Cgroups;

/// <summary>A fake v1 host under /cg: one hierarchy per controller, kernel rules imitated by hooks.</summary>
internal sealed class FakeV1Host
{
    public const string Unlimited = "9223372036854771712";
    public const string Root = "/cg";

    public FakeCgroupFs Fs { get; } = new();
    public Dictionary<string, string> Mounts { get; } = new(StringComparer.Ordinal);
    public List<(int Pid, int Signal)> Signals { get; } = [];

    /// <summary>How many FROZEN writes leave the state at FREEZING before it turns FROZEN.</summary>
    public int FreezingWrites { get; set; }

    /// <summary>Which blkio weight file new cgroups get: "blkio.weight", "blkio.bfq.weight" or null.</summary>
    public string? BlkioWeightFile { get; set; } = "blkio.bfq.weight";

    public bool HasMemsw { get; set; } = true;

    /// <summary>Reject the next cpu.cfs_period_us write with EINVAL (the smaller-period quirk).</summary>
    public bool RejectPeriodOnce { get; set; }

    public FakeV1Host(bool comountCpu = false)
    {
        foreach (var h in (string[])["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"])
        {
            var mount = comountCpu && (h is "cpu" or "cpuacct") ? $"{Root}/cpu,cpuacct" : $"{Root}/{h}";
            Mounts[h == "systemd" ? "name=systemd" : h] = mount;
            Fs.AddDir(mount);
            Fs.Files[$"{mount}/cgroup.procs"] = "1\n";
        }
        Fs.Files[$"{Mounts["cpuset"]}/cpuset.cpus"] = "0-3\n";
        Fs.Files[$"{Mounts["cpuset"]}/cpuset.mems"] = "0\n";
        Fs.OnMkdir = Populate;
        Fs.OnWrite = Write;
        Options = new CgroupOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(1),
            FreezeTimeout = TimeSpan.FromSeconds(2),
            RemoveTimeout = TimeSpan.FromSeconds(2),
            SignalProcess = OnSignal,
        };
    }

    public CgroupOptions Options { get; set; }

    public CgroupV1Manager Manager(string path = "/containerconsole/abc") => new(path, Mounts, Fs, Options);

    public string Dir(string subsystem, string path = "/containerconsole/abc") => Mounts[subsystem] + path;

    private string HierarchyOf(string path) =>
        Mounts.First(m => path == m.Value || path.StartsWith(m.Value + "/", StringComparison.Ordinal)).Key;

    private void Populate(string dir)
    {
        var f = Fs.Files;
        f[$"{dir}/cgroup.procs"] = "";
        f[$"{dir}/tasks"] = "";
        foreach (var (sub, mount) in Mounts)
        {
            if (!dir.StartsWith(mount + "/", StringComparison.Ordinal))
                continue;
            switch (sub)
            {
                case "cpu":
                    f[$"{dir}/cpu.shares"] = "1024\n";
                    f[$"{dir}/cpu.cfs_quota_us"] = "-1\n";
                    f[$"{dir}/cpu.cfs_period_us"] = "100000\n";
                    f[$"{dir}/cpu.stat"] = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n";
                    break;
                case "cpuacct":
                    f[$"{dir}/cpuacct.usage"] = "0\n";
                    f[$"{dir}/cpuacct.usage_user"] = "0\n";
                    f[$"{dir}/cpuacct.usage_sys"] = "0\n";
                    break;
                case "cpuset":
                    // The v1 pitfall: new cpusets start empty.
                    f[$"{dir}/cpuset.cpus"] = "\n";
                    f[$"{dir}/cpuset.mems"] = "\n";
                    break;
                case "memory":
                    f[$"{dir}/memory.limit_in_bytes"] = Unlimited + "\n";
                    if (HasMemsw)
                        f[$"{dir}/memory.memsw.limit_in_bytes"] = Unlimited + "\n";
                    f[$"{dir}/memory.soft_limit_in_bytes"] = Unlimited + "\n";
                    f[$"{dir}/memory.swappiness"] = "60\n";
                    f[$"{dir}/memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
                    f[$"{dir}/memory.usage_in_bytes"] = "0\n";
                    f[$"{dir}/memory.max_usage_in_bytes"] = "0\n";
                    f[$"{dir}/memory.stat"] = "cache 0\nrss 0\ntotal_cache 0\n";
                    break;
                case "devices":
                    f[$"{dir}/devices.allow"] = "";
                    f[$"{dir}/devices.deny"] = "";
                    f[$"{dir}/devices.list"] = "a *:* rwm\n";
                    break;
                case "freezer":
                    f[$"{dir}/freezer.state"] = "THAWED\n";
                    break;
                case "blkio":
                    if (BlkioWeightFile is not null)
                        f[$"{dir}/{BlkioWeightFile}"] = "100\n";
                    break;
                case "pids":
                    f[$"{dir}/pids.max"] = "max\n";
                    f[$"{dir}/pids.current"] = "0\n";
                    break;
            }
        }
    }

    private static ulong Bytes(string v) => v.Trim() == "-1" ? ulong.Parse(Unlimited) : ulong.Parse(v.Trim(), CultureInfo.InvariantCulture);

    private string Write(string path, string value)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        var name = System.IO.Path.GetFileName(path);
        switch (name)
        {
            case "memory.limit_in_bytes":
            {
                var v = Bytes(value);
                if (Fs.Files.TryGetValue($"{dir}/memory.memsw.limit_in_bytes", out var memsw) && v > Bytes(memsw))
                    throw FakeCgroupFs.Error(path, FakeCgroupFs.EINVAL);
                return v + "\n";
            }
            case "memory.memsw.limit_in_bytes":
            {
                var v = Bytes(value);
                if (v < Bytes(Fs.Files[$"{dir}/memory.limit_in_bytes"]))
                    throw FakeCgroupFs.Error(path, FakeCgroupFs.EINVAL);
                return v + "\n";
            }
            case "cgroup.procs":
                if (HierarchyOf(path) == "cpuset"
                    && (Fs.Files[$"{dir}/cpuset.cpus"].Trim().Length == 0 || Fs.Files[$"{dir}/cpuset.mems"].Trim().Length == 0))
                    throw FakeCgroupFs.Error(path, FakeCgroupFs.ENOSPC);
                return FakeCgroupFs.AppendPid(Fs.Files[path], value.Trim());
            case "freezer.state":
                if (value == "FROZEN" && FreezingWrites > 0)
                {
                    FreezingWrites--;
                    return "FREEZING\n";
                }
                return value + "\n";
            case "cpu.cfs_period_us":
                if (RejectPeriodOnce)
                {
                    RejectPeriodOnce = false;
                    throw FakeCgroupFs.Error(path, FakeCgroupFs.EINVAL);
                }
                return value + "\n";
            default:
                return value;
        }
    }

    private void OnSignal(int pid, int signal)
    {
        Signals.Add((pid, signal));
        if (signal != 9)
            return;
        // SIGKILL: the task leaves every hierarchy.
        foreach (var key in Fs.Files.Keys.Where(k => k.EndsWith("/cgroup.procs", StringComparison.Ordinal)).ToList())
            Fs.Files[key] = FakeCgroupFs.RemovePid(Fs.Files[key], pid);
    }
}

/// <summary>A fake pure-v2 host under /cg2.</summary>
internal sealed class FakeV2Host
{
    public const string Root = "/cg2";

    public FakeCgroupFs Fs { get; } = new();
    public List<(int Pid, int Signal)> Signals { get; } = [];
    public List<(string Dir, IReadOnlyList<BpfInstruction> Program)> Installed { get; } = [];

    /// <summary>cgroup.events reads that still say "frozen 0" after cgroup.freeze=1.</summary>
    public int FreezingReads { get; set; }

    public bool HasCgroupKill { get; set; } = true;
    public bool HasBfq { get; set; } = true;

    public FakeV2Host(string rootControllers = "cpuset cpu io memory hugetlb pids")
    {
        Fs.AddDir(Root);
        Fs.Files[$"{Root}/cgroup.controllers"] = rootControllers + "\n";
        Fs.Files[$"{Root}/cgroup.subtree_control"] = "\n";
        Fs.Files[$"{Root}/cgroup.procs"] = "1\n";
        Fs.OnMkdir = Populate;
        Fs.OnWrite = Write;
        Fs.OnRead = Read;
        Options = new CgroupOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(1),
            FreezeTimeout = TimeSpan.FromSeconds(2),
            RemoveTimeout = TimeSpan.FromSeconds(2),
            SignalProcess = OnSignal,
            DeviceFilterLoader = new RecordingLoader(this),
        };
    }

    public CgroupOptions Options { get; set; }

    public CgroupV2Manager Manager(string path = "/containerconsole/abc") => new(path, Root, Fs, Options);

    public string Dir(string path = "/containerconsole/abc") => Root + path;

    private sealed class RecordingLoader(FakeV2Host host) : IDeviceFilterLoader
    {
        public void Install(string cgroupDir, IReadOnlyList<BpfInstruction> program) => host.Installed.Add((cgroupDir, program));
    }

    private static string[] Words(string s) => s.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

    private void Populate(string dir)
    {
        var f = Fs.Files;
        var parent = System.IO.Path.GetDirectoryName(dir)!;
        var enabled = Words(f[$"{parent}/cgroup.subtree_control"]);
        f[$"{dir}/cgroup.controllers"] = string.Join(' ', enabled) + "\n";
        f[$"{dir}/cgroup.subtree_control"] = "\n";
        f[$"{dir}/cgroup.procs"] = "";
        f[$"{dir}/cgroup.freeze"] = "0\n";
        f[$"{dir}/cgroup.events"] = "populated 0\nfrozen 0\n";
        if (HasCgroupKill)
            f[$"{dir}/cgroup.kill"] = "";
        f[$"{dir}/cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n";
        foreach (var c in enabled)
        {
            switch (c)
            {
                case "memory":
                    f[$"{dir}/memory.max"] = "max\n";
                    f[$"{dir}/memory.high"] = "max\n";
                    f[$"{dir}/memory.swap.max"] = "max\n";
                    f[$"{dir}/memory.low"] = "0\n";
                    f[$"{dir}/memory.current"] = "0\n";
                    f[$"{dir}/memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";
                    f[$"{dir}/memory.stat"] = "anon 0\nfile 0\n";
                    break;
                case "cpu":
                    f[$"{dir}/cpu.weight"] = "100\n";
                    f[$"{dir}/cpu.max"] = "max 100000\n";
                    break;
                case "cpuset":
                    f[$"{dir}/cpuset.cpus"] = "\n";
                    f[$"{dir}/cpuset.mems"] = "\n";
                    break;
                case "io":
                    if (HasBfq)
                        f[$"{dir}/io.bfq.weight"] = "default 100\n";
                    f[$"{dir}/io.weight"] = "default 100\n";
                    f[$"{dir}/io.stat"] = "";
                    break;
                case "pids":
                    f[$"{dir}/pids.max"] = "max\n";
                    f[$"{dir}/pids.current"] = "0\n";
                    break;
                case "hugetlb":
                    f[$"{dir}/hugetlb.2MB.max"] = "max\n";
                    break;
            }
        }
    }

    private string Write(string path, string value)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        switch (System.IO.Path.GetFileName(path))
        {
            case "cgroup.subtree_control":
            {
                var set = Words(Fs.Files[path]).ToList();
                foreach (var token in Words(value))
                {
                    var c = token[1..];
                    if (!Words(Fs.Files[$"{dir}/cgroup.controllers"]).Contains(c))
                        throw FakeCgroupFs.Error(path, FakeCgroupFs.ENOENT);
                    if (token[0] == '+' && !set.Contains(c))
                        set.Add(c);
                    else if (token[0] == '-')
                        set.Remove(c);
                }
                return string.Join(' ', set) + "\n";
            }
            case "cgroup.freeze":
                Fs.Files[$"{dir}/cgroup.events"] = $"populated 0\nfrozen {value.Trim()}\n";
                return value + "\n";
            case "cgroup.kill":
                foreach (var pid in Words(Fs.Files[$"{dir}/cgroup.procs"]))
                    Signals.Add((int.Parse(pid), 9));
                Fs.Files[$"{dir}/cgroup.procs"] = "";
                return "";
            case "cgroup.procs":
                return FakeCgroupFs.AppendPid(Fs.Files[path], value.Trim());
            default:
                return value;
        }
    }

    private string Read(string path, string content)
    {
        if (path.EndsWith("/cgroup.events", StringComparison.Ordinal) && content.Contains("frozen 1") && FreezingReads > 0)
        {
            FreezingReads--;
            return content.Replace("frozen 1", "frozen 0");
        }
        return content;
    }

    private void OnSignal(int pid, int signal)
    {
        Signals.Add((pid, signal));
        if (signal != 9)
            return;
        foreach (var key in Fs.Files.Keys.Where(k => k.EndsWith("/cgroup.procs", StringComparison.Ordinal)).ToList())
            Fs.Files[key] = FakeCgroupFs.RemovePid(Fs.Files[key], pid);
    }
}
