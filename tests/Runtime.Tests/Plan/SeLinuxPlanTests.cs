using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Plan;

/// <summary>sVirt labels reach the plan only when SELinux is enabled (this kernel has none; runc ignores them then too).</summary>
public sealed class SeLinuxPlanTests
{
    private static PlanContext Ctx(bool enabled) =>
        new("/rootfs", null, null, 0, 0, null, [new CgroupMountSource("unified", "cgroup2", "")], 40, false, SeLinuxEnabled: enabled);

    private static RuntimeSpec Labelled()
    {
        var spec = DefaultSpec.Create();
        spec.Process!.SelinuxLabel = "system_u:system_r:container_t:s0:c1,c2";
        spec.Linux!.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2";
        return spec;
    }

    [Fact]
    public void EnabledLabelsTheProcessAndTmpfsLikeMounts()
    {
        var plan = InitPlanner.ForContainer(Labelled(), Ctx(enabled: true));
        Assert.Equal(["system_u:system_r:container_t:s0:c1,c2"], plan.Find("selinux")!.Fields);
        string Data(string dest) => plan.All("mount").Single(r => r.Fields[1] == dest).Fields[4];
        Assert.Equal("mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"", Data("dev"));
        Assert.EndsWith("context=\"system_u:object_r:container_file_t:s0:c1,c2\"", Data("dev/mqueue"));
        Assert.DoesNotContain("context=", Data("proc"));
        Assert.True(plan.Records.ToList().FindIndex(r => r.Op == "selinux") < plan.Records.ToList().FindIndex(r => r.Op == "arg"));
    }

    [Fact]
    public void DisabledLeavesLabelsOut()
    {
        var plan = InitPlanner.ForContainer(Labelled(), Ctx(enabled: false));
        Assert.Null(plan.Find("selinux"));
        Assert.DoesNotContain(plan.All("mount"), r => r.Fields[4].Contains("context=", StringComparison.Ordinal));
    }
}
