using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>
/// A device policy (any linux.resources.devices rule) must still let init create and use
/// the devices the runtime itself provides: the default devices, the spec's linux.devices
/// and the pty devices. As runc does, allow rules for them are appended after the spec's.
/// Without a policy the devices cgroup is left as inherited.
/// </summary>
public static class ImplicitDeviceRules
{
    public static LinuxResources? Apply(LinuxResources? resources, IEnumerable<LinuxDevice> specDevices)
    {
        if (resources is null || resources.Devices.Count == 0)
            return resources;
        var rules = new List<DeviceCgroupRule>(resources.Devices);
        foreach (var d in InitPlanner.DefaultDevices.Concat(specDevices).Where(d => d.Type is "c" or "b"))
            rules.Add(new DeviceCgroupRule { Allow = true, Type = d.Type, Major = d.Major, Minor = d.Minor, Access = "rwm" });
        rules.Add(new DeviceCgroupRule { Allow = true, Type = "c", Major = 5, Minor = 2, Access = "rwm" });   // /dev/ptmx
        rules.Add(new DeviceCgroupRule { Allow = true, Type = "c", Major = 136, Access = "rwm" });            // /dev/pts/*
        rules.Add(new DeviceCgroupRule { Allow = true, Type = "c", Major = 5, Minor = 1, Access = "rwm" });   // /dev/console
        return new LinuxResources
        {
            Devices = rules, Memory = resources.Memory, Cpu = resources.Cpu, Pids = resources.Pids, BlockIO = resources.BlockIO,
            Unified = resources.Unified,
        };
    }
}
