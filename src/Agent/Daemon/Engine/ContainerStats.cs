using System.Globalization;
using System.Text.Json.Nodes;
using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Agent.Engine;

/// <summary>One reading of a container's cgroup with the host CPU time it is measured against.</summary>
public sealed record StatsSample(DateTime Read, CgroupStats Cgroup, ulong SystemCpuNs, int OnlineCpus);

/// <summary>
/// GET /containers/{id}/stats in Docker's JSON shape. The docker CLI computes CPU % as
/// Δcpu_usage.total_usage / Δsystem_cpu_usage × online_cpus, and memory as usage minus inactive file pages,
/// so those fields must come from the same moments: each sample reads the cgroup and /proc/stat together.
/// </summary>
public static class ContainerStats
{
    /// <summary>The aggregate "cpu" line of /proc/stat in nanoseconds (USER_HZ is 100 on Linux) and the number of "cpuN" lines.</summary>
    public static (ulong TotalNs, int OnlineCpus) ParseProcStat(string procStat)
    {
        ulong total = 0;
        var cpus = 0;
        foreach (var line in procStat.Split('\n'))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
                foreach (var f in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8))
                    total += ulong.Parse(f, NumberStyles.None, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3]))
            {
                cpus++;
            }
        }
        return (total * 10_000_000, cpus);
    }

    /// <summary>MemTotal of /proc/meminfo in bytes: Docker's limit for a container without one.</summary>
    public static ulong ParseMemTotal(string meminfo)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal))
                continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return ulong.Parse(f[1], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    public static StatsSample Sample(ICgroupManager cgroup, DateTime now)
    {
        var (system, cpus) = ParseProcStat(File.ReadAllText("/proc/stat"));
        return new StatsSample(now, cgroup.GetStats(), system, cpus);
    }

    /// <summary>The Docker stats document; <paramref name="previous"/> fills precpu_stats/preread (absent: zeros, as Docker's first sample).</summary>
    public static JsonObject ToDocker(ContainerModel c, StatsSample? current, StatsSample? previous, ulong machineMemory)
    {
        var s = current?.Cgroup;
        var memory = new JsonObject();
        if (s is not null)
        {
            var stats = new JsonObject();
            foreach (var (k, v) in s.MemoryStat.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                stats[k] = v;
            memory["usage"] = s.MemoryUsage;
            if (s.MemoryMaxUsage > 0)
                memory["max_usage"] = s.MemoryMaxUsage;
            memory["stats"] = stats;
            memory["limit"] = s.MemoryLimit is { } l && l < machineMemory ? l : machineMemory;
        }
        var blkio = new JsonObject { ["io_service_bytes_recursive"] = s is null ? null : new JsonArray(
            new JsonObject { ["major"] = 0, ["minor"] = 0, ["op"] = "read", ["value"] = s.IoReadBytes },
            new JsonObject { ["major"] = 0, ["minor"] = 0, ["op"] = "write", ["value"] = s.IoWriteBytes }) };
        foreach (var key in (string[])["io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive"])
            blkio[key] = null;
        return new JsonObject
        {
            ["read"] = Rfc3339(current?.Read),
            ["preread"] = Rfc3339(previous?.Read),
            ["pids_stats"] = s is null ? new JsonObject() : new JsonObject { ["current"] = s.PidsCurrent, ["limit"] = s.PidsLimit },
            ["blkio_stats"] = blkio,
            ["num_procs"] = 0,
            ["storage_stats"] = new JsonObject(),
            ["cpu_stats"] = Cpu(current),
            ["precpu_stats"] = Cpu(previous),
            ["memory_stats"] = memory,
            ["name"] = "/" + c.Name,
            ["id"] = c.Id,
        };
    }

    private static JsonObject Cpu(StatsSample? sample)
    {
        var usage = new JsonObject
        {
            ["total_usage"] = sample?.Cgroup.CpuUsageTotalNs ?? 0,
            ["usage_in_kernelmode"] = sample?.Cgroup.CpuUsageSystemNs ?? 0,
            ["usage_in_usermode"] = sample?.Cgroup.CpuUsageUserNs ?? 0,
        };
        if (sample is { Cgroup.CpuUsagePerCpuNs.Count: > 0 })
            usage["percpu_usage"] = new JsonArray(sample.Cgroup.CpuUsagePerCpuNs.Select(v => (JsonNode)v).ToArray());
        var cpu = new JsonObject
        {
            ["cpu_usage"] = usage,
            ["throttling_data"] = new JsonObject
            {
                ["periods"] = sample?.Cgroup.CpuPeriods ?? 0,
                ["throttled_periods"] = sample?.Cgroup.CpuThrottledPeriods ?? 0,
                ["throttled_time"] = sample?.Cgroup.CpuThrottledTimeNs ?? 0,
            },
        };
        if (sample is not null)
        {
            cpu["system_cpu_usage"] = sample.SystemCpuNs;
            cpu["online_cpus"] = sample.OnlineCpus;
        }
        return cpu;
    }

    /// <summary>The CPU percentage the docker CLI shows for two samples (for tests and the web console).</summary>
    public static double CpuPercent(StatsSample previous, StatsSample current)
    {
        var cpuDelta = (double)current.Cgroup.CpuUsageTotalNs - previous.Cgroup.CpuUsageTotalNs;
        var systemDelta = (double)current.SystemCpuNs - previous.SystemCpuNs;
        return systemDelta > 0 && cpuDelta > 0 ? cpuDelta / systemDelta * current.OnlineCpus * 100.0 : 0;
    }

    private static string Rfc3339(DateTime? t) =>
        t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";
}
