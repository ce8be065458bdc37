using System.Text.Json;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Plan;

public sealed class InContainerHookPlanTests
{
    private static PlanContext Ctx() =>
        new("/rootfs", "/state/exec.fifo", null, 0, 0, null, [new CgroupMountSource("unified", "cgroup2", "")], 40, false, ContainerId: "c1", Bundle: "/bundles/c1");

    [Fact]
    public void HooksBecomeRecordsWithArgsEnvAndTimeout()
    {
        var spec = DefaultSpec.Create();
        spec.Hooks = new Hooks
        {
            CreateContainer = [new Hook { Path = "/usr/bin/a", Args = ["a", "x"], Env = ["K=V"], Timeout = 3 }],
            StartContainer = [new Hook { Path = "/bin/b" }],
            Prestart = [new Hook { Path = "/usr/bin/runtime-side" }],
        };
        var plan = InitPlanner.ForContainer(spec, Ctx());
        var hookOps = plan.Records.Where(r => r.Op is "hook" or "hookarg" or "hookenv").Select(r => r.ToString()).ToList();
        Assert.Equal(["hook createContainer /usr/bin/a 3", "hookarg a", "hookarg x", "hookenv K=V", "hook startContainer /bin/b 0"], hookOps);
    }

    [Fact]
    public void StateTemplateAroundStatusAndPidIsValidJson()
    {
        var spec = DefaultSpec.Create();
        spec.Annotations["org.example"] = "a \"quoted\" value";
        spec.Hooks = new Hooks { StartContainer = [new Hook { Path = "/bin/b" }] };
        var t = InitPlanner.ForContainer(spec, Ctx()).Find("hookstate")!;
        var json = t.Fields[0] + "\"status\":\"running\",\"pid\":42" + t.Fields[1];
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("c1", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal(42, doc.RootElement.GetProperty("pid").GetInt32());
        Assert.Equal("/bundles/c1", doc.RootElement.GetProperty("bundle").GetString());
        Assert.Equal("a \"quoted\" value", doc.RootElement.GetProperty("annotations").GetProperty("org.example").GetString());
    }

    [Fact]
    public void NoInContainerHooksNoRecords()
    {
        var spec = DefaultSpec.Create();
        spec.Hooks = new Hooks { Prestart = [new Hook { Path = "/bin/true" }] };
        Assert.DoesNotContain(InitPlanner.ForContainer(spec, Ctx()).Records, r => r.Op.StartsWith("hook", StringComparison.Ordinal));
    }
}
