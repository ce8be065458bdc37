using ContainerConsole.Server.Containers;

namespace ContainerConsole.Server.Tests;

public sealed class ContainerSpecTests
{
    [Fact]
    public void Equal_settings_hash_alike_whatever_the_order_and_spelling()
    {
        var a = new ContainerSpec("busybox", Env: new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }, CapAdd: ["NET_ADMIN", "cap_sys_time"], RestartPolicy: "no");
        var b = new ContainerSpec("busybox:latest", Env: new Dictionary<string, string> { ["B"] = "2", ["A"] = "1" }, CapAdd: ["SYS_TIME", "NET_ADMIN"]);

        Assert.Equal(ContainerSpecs.Hash(ContainerSpecs.Canonical(a)), ContainerSpecs.Hash(ContainerSpecs.Canonical(b)));
        var c = b with { Env = new Dictionary<string, string> { ["A"] = "1", ["B"] = "3" }, Memory = "64m" };
        Assert.Equal(["env", "memory"], ContainerSpecs.Differences(ContainerSpecs.Canonical(b), ContainerSpecs.Canonical(c)));
    }

    [Fact]
    public void Problems_are_named_by_field()
    {
        var errors = ContainerSpecs.Validate(new ContainerSpec(
            "Bad Image!",
            Name: "-x",
            Ports: [new PortSpec(0), new PortSpec(80, "icmp")],
            Volumes: ["relative"],
            Memory: "lots",
            Cpus: -1,
            RestartPolicy: "sometimes",
            HealthCheck: new HealthCheckSpec(["echo"]),
            WorkingDir: "tmp",
            Labels: new Dictionary<string, string> { ["com.containerconsole.desired-hash"] = "x" }));

        Assert.Equal(
            ["cpus", "healthCheck.test", "image", "labels.com.containerconsole.desired-hash", "memory", "name", "ports[0].containerPort", "ports[1].protocol", "restartPolicy", "volumes[0]", "workingDir"],
            errors.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(ContainerSpecs.Validate(new ContainerSpec("registry.local:5000/team/app:1.2", Memory: "256m", Cpus: 0.5, RestartPolicy: "on-failure:3")));
    }

    [Fact]
    public void The_create_body_carries_every_setting_in_docker_words()
    {
        var body = ContainerSpecs.ToCreateBody(new ContainerSpec(
            "busybox", Cmd: ["sleep", "1"], Env: new Dictionary<string, string> { ["A"] = "1" },
            Ports: [new PortSpec(80, HostPort: 8080, HostIp: "127.0.0.1")], Volumes: ["data:/data:ro"],
            Networks: [new NetworkSpec("front", ["web"]), new NetworkSpec("back")], Memory: "1g", Cpus: 1.5, PidsLimit: 50,
            RestartPolicy: "on-failure:3", ReadOnly: true, User: "1000:1000", CapDrop: ["ALL"]));

        var host = body["HostConfig"]!;
        Assert.Equal("8080", host["PortBindings"]!["80/tcp"]![0]!["HostPort"]!.GetValue<string>());
        Assert.Equal(1L << 30, host["Memory"]!.GetValue<long>());
        Assert.Equal(1_500_000_000L, host["NanoCpus"]!.GetValue<long>());
        Assert.Equal("on-failure", host["RestartPolicy"]!["Name"]!.GetValue<string>());
        Assert.Equal(3, host["RestartPolicy"]!["MaximumRetryCount"]!.GetValue<int>());
        Assert.Equal("front", host["NetworkMode"]!.GetValue<string>());
        Assert.Equal("web", body["NetworkingConfig"]!["EndpointsConfig"]!["front"]!["Aliases"]![0]!.GetValue<string>());
        Assert.NotNull(body["NetworkingConfig"]!["EndpointsConfig"]!["back"]);
        Assert.True(host["ReadonlyRootfs"]!.GetValue<bool>());
        Assert.Equal("A=1", body["Env"]![0]!.GetValue<string>());
    }
}
