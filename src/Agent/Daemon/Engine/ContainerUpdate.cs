using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The body of POST /containers/{id}/update (Docker's UpdateConfig: the Resources fields at top level plus
/// RestartPolicy). The docker CLI sends every field; zero, null or an empty name means "leave as is".
/// </summary>
public sealed class UpdateRequest : Resources
{
    public long MemoryReservation { get; set; }
    public RestartPolicy? RestartPolicy { get; set; }
}

/// <summary>Merges an update into a HostConfig (with dockerd's checks) and yields the cgroup changes to apply live.</summary>
public static class ContainerUpdate
{
    private const long MinimumMemory = 6 * 1024 * 1024;

    /// <summary>Create's resources pass the checks of an update of a container without limits, as in dockerd.</summary>
    public static void CheckCreate(HostConfig hc) => Merge(new HostConfig(), new UpdateRequest
    {
        Memory = hc.Memory, MemorySwap = hc.MemorySwap, NanoCpus = hc.NanoCpus, CpuShares = hc.CpuShares, CpuQuota = hc.CpuQuota,
        CpuPeriod = hc.CpuPeriod, CpusetCpus = hc.CpusetCpus, CpusetMems = hc.CpusetMems, PidsLimit = hc.PidsLimit, BlkioWeight = hc.BlkioWeight,
    });

    public static LinuxResources Merge(HostConfig hc, UpdateRequest u)
    {
        if (u.NanoCpus != 0 && (u.CpuQuota != 0 || u.CpuPeriod != 0))
            throw EngineException.BadRequest("Conflicting options: Nano CPUs and CPU Period/Quota cannot both be set");
        if (u.NanoCpus < 0 || u.NanoCpus > (long)Environment.ProcessorCount * 1_000_000_000)
            throw EngineException.BadRequest($"Range of CPUs is from 0.01 to {Environment.ProcessorCount}.00, as there are only {Environment.ProcessorCount} CPUs available");
        if (u.Memory != 0 && u.Memory < MinimumMemory)
            throw EngineException.BadRequest("Minimum memory limit allowed is 6MB");
        if (u.BlkioWeight != 0 && u.BlkioWeight is < 10 or > 1000)
            throw EngineException.BadRequest("Range of blkio weight is from 10 to 1000");
        if (u.CpuPeriod != 0 && u.CpuPeriod is < 1000 or > 1_000_000)
            throw EngineException.BadRequest("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
        if (u.CpuQuota > 0 && u.CpuQuota < 1000)
            throw EngineException.BadRequest("CPU cfs quota can not be less than 1ms (i.e. 1000)");
        if (u.RestartPolicy is { Name.Length: > 0 } rp)
        {
            if (rp.Name is not ("no" or "always" or "unless-stopped" or "on-failure"))
                throw EngineException.BadRequest($"invalid restart policy '{rp.Name}'");
            if (rp.MaximumRetryCount != 0 && rp.Name != "on-failure")
                throw EngineException.BadRequest($"invalid restart policy: maximum retry count can only be used with 'on-failure'");
        }

        // What the memory+swap limit is now (SpecBuilder: 0 with a memory limit means twice the memory, without one unlimited).
        var currentSwap = hc.MemorySwap != 0 ? hc.MemorySwap : hc.Memory > 0 ? hc.Memory * 2 : -1;
        if (u.Memory != 0 && u.MemorySwap == 0 && currentSwap > 0 && u.Memory > currentSwap)
            throw EngineException.BadRequest("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
        var newMemory = u.Memory != 0 ? u.Memory : hc.Memory;
        var newSwap = u.MemorySwap != 0 ? u.MemorySwap : currentSwap;
        if (newMemory > 0 && newSwap > 0 && newSwap < newMemory)
            throw EngineException.BadRequest("Minimum memoryswap limit should be larger than memory limit, see usage");

        var r = new LinuxResources();
        if (u.Memory != 0 || u.MemorySwap != 0 || u.MemoryReservation != 0)
        {
            r.Memory = new MemoryResources
            {
                Limit = u.Memory != 0 ? u.Memory : null,
                Swap = u.MemorySwap != 0 ? u.MemorySwap : null,
                Reservation = u.MemoryReservation != 0 ? u.MemoryReservation : null,
            };
            hc.MemorySwap = newSwap; // explicit from now on, so the next start keeps what the cgroup has
            hc.Memory = newMemory;
        }

        var cpu = new CpuResources();
        var cpuChanged = false;
        if (u.CpuShares != 0)
        {
            hc.CpuShares = u.CpuShares;
            cpu.Shares = (ulong)u.CpuShares;
            cpuChanged = true;
        }
        if (u.NanoCpus != 0)
        {
            (hc.NanoCpus, hc.CpuQuota, hc.CpuPeriod) = (u.NanoCpus, 0, 0);
            cpu.Period = SpecBuilder.DefaultCpuPeriod;
            cpu.Quota = u.NanoCpus * SpecBuilder.DefaultCpuPeriod / 1_000_000_000;
            cpuChanged = true;
        }
        if (u.CpuQuota != 0 || u.CpuPeriod != 0)
        {
            hc.NanoCpus = 0;
            if (u.CpuQuota != 0)
                cpu.Quota = hc.CpuQuota = u.CpuQuota;
            if (u.CpuPeriod != 0)
                cpu.Period = (ulong)(hc.CpuPeriod = u.CpuPeriod);
            cpuChanged = true;
        }
        if (!string.IsNullOrEmpty(u.CpusetCpus))
            cpu.Cpus = hc.CpusetCpus = u.CpusetCpus;
        if (!string.IsNullOrEmpty(u.CpusetMems))
            cpu.Mems = hc.CpusetMems = u.CpusetMems;
        if (cpuChanged || cpu.Cpus is not null || cpu.Mems is not null)
            r.Cpu = cpu;
        if (u.PidsLimit is { } pids)
        {
            hc.PidsLimit = pids > 0 ? pids : null;
            r.Pids = new PidsResources { Limit = pids > 0 ? pids : -1 };
        }
        if (u.BlkioWeight != 0)
        {
            hc.BlkioWeight = u.BlkioWeight;
            r.BlockIO = new BlockIoResources { Weight = u.BlkioWeight };
        }
        if (u.RestartPolicy is { Name.Length: > 0 } policy)
            hc.RestartPolicy = policy;
        return r;
    }

    public static bool IsEmpty(LinuxResources r) => r.Memory is null && r.Cpu is null && r.Pids is null && r.BlockIO is null;
}
