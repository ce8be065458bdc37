using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Cgroups;

public sealed class ImplicitDeviceRulesTests
{
    [Fact]
    public void NoPolicyIsLeftAlone()
    {
        var r = new LinuxResources();
        Assert.Same(r, ImplicitDeviceRules.Apply(r, []));
        Assert.Null(ImplicitDeviceRules.Apply(null, []));
    }

    [Fact]
    public void ADenyAllPolicyStillAllowsTheRuntimesOwnDevicesAfterTheSpecRules()
    {
        var r = new LinuxResources { Devices = [new DeviceCgroupRule { Allow = false, Access = "rwm" }], Pids = new PidsResources { Limit = 5 } };
        var fuse = new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 };
        var applied = ImplicitDeviceRules.Apply(r, [fuse])!;
        Assert.False(applied.Devices[0].Allow); // the spec's rules come first
        string Rule(DeviceCgroupRule d) => $"{(d.Allow ? "a" : "d")} {d.Type} {d.Major?.ToString() ?? "*"}:{d.Minor?.ToString() ?? "*"} {d.Access}";
        var rules = applied.Devices.Select(Rule).ToList();
        foreach (var expected in new[] { "a c 1:3 rwm", "a c 1:5 rwm", "a c 1:7 rwm", "a c 1:8 rwm", "a c 1:9 rwm", "a c 5:0 rwm", "a c 10:229 rwm", "a c 5:2 rwm", "a c 136:* rwm" })
            Assert.Contains(expected, rules);
        Assert.Equal(5, applied.Pids!.Limit);
        Assert.Single(r.Devices); // the spec itself is not changed
    }
}
