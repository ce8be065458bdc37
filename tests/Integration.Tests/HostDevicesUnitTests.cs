using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Integration.Tests;

public sealed class HostDevicesUnitTests
{
    [Theory]
    [InlineData("/dev/null", "/dev/x", "rwx", "invalid device cgroup permissions rwx")]
    [InlineData("/dev/null", "dev/x", "rw", "must be absolute")]
    [InlineData("/etc/hostname", "/dev/x", "rw", "not a device")]
    public void Bad_device_mappings_are_refused_with_the_reason(string host, string inContainer, string permissions, string reason)
    {
        var e = Assert.Throws<EngineException>(() => HostDevices.From([new DeviceMapping { PathOnHost = host, PathInContainer = inContainer, CgroupPermissions = permissions }]));
        Assert.Equal(400, e.Status);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void A_device_keeps_its_numbers_and_gets_a_cgroup_rule_with_the_permissions()
    {
        var (nodes, rules) = HostDevices.From([new DeviceMapping { PathOnHost = "/dev/null", PathInContainer = "/dev/mynull", CgroupPermissions = "r" }]);
        var node = Assert.Single(nodes);
        Assert.Equal(("/dev/mynull", "c", 1L, 3L), (node.Path, node.Type, node.Major, node.Minor));
        var rule = Assert.Single(rules);
        Assert.Equal(("c", 1L, 3L, "r"), (rule.Type, rule.Major, rule.Minor, rule.Access));
    }

    [Fact]
    public void Privileged_gets_every_host_device_but_not_the_per_container_ones()
    {
        var all = HostDevices.All();
        Assert.Contains(all, d => d.Path == "/dev/null");
        Assert.DoesNotContain(all, d => d.Path.StartsWith("/dev/pts/", StringComparison.Ordinal) || d.Path == "/dev/console");
    }
}
