using System.Text.Json;
using Bunit;
using ContainerConsole.Server.WebConsole;
using ContainerConsole.Web.Components.ContainerTabs;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>Processes, security, the systemd unit and commit: reading an inspect, and the tabs that show them.</summary>
public sealed class InspectionTests : BunitContext
{
    private const string Inspect = """
        {
          "Id": "4aaaa67f899b0123456789", "Name": "/web", "ProcessLabel": "", "MountLabel": "",
          "Config": { "Image": "busybox:latest", "Hostname": "4aaaa67f899b", "User": "1000", "Tty": false,
                      "Cmd": ["sh", "-c", "sleep 1000"], "Env": ["PATH=/usr/bin", "GREETING=hello world"],
                      "Labels": { "tier": "front", "com.containerconsole.desired-hash": "x" },
                      "Healthcheck": { "Test": ["CMD-SHELL", "true"], "Interval": 30000000000, "Retries": 3 } },
          "HostConfig": { "PidMode": "host", "IpcMode": "private", "NetworkMode": "backend", "CapAdd": ["NET_ADMIN"], "CapDrop": ["MKNOD"],
                          "SecurityOpt": ["no-new-privileges", "seccomp=unconfined"], "ReadonlyRootfs": true, "Privileged": false,
                          "ReadonlyPaths": ["/proc/sys"], "MaskedPaths": ["/proc/kcore", "/proc/keys"], "Memory": 67108864, "NanoCpus": 500000000,
                          "PidsLimit": 50, "RestartPolicy": { "Name": "on-failure", "MaximumRetryCount": 2 },
                          "PortBindings": { "80/tcp": [{ "HostIp": "", "HostPort": "8080" }] }, "Binds": ["data:/data:ro"] }
        }
        """;

    [Fact]
    public void Security_is_read_from_the_inspect_and_selinux_from_the_hosts_info()
    {
        using var inspect = JsonDocument.Parse(Inspect);
        using var plain = JsonDocument.Parse("""{ "SecurityOptions": ["name=seccomp,profile=builtin", "name=cgroupns"] }""");
        using var selinux = JsonDocument.Parse("""{ "SecurityOptions": ["name=seccomp,profile=builtin", "name=selinux"] }""");

        var info = ConsoleContainerInspection.ReadSecurity(inspect.RootElement, plain.RootElement);

        Assert.False(info.SeLinuxEnabled);
        Assert.True(ConsoleContainerInspection.ReadSecurity(inspect.RootElement, selinux.RootElement).SeLinuxEnabled);
        Assert.Equal("host", info.Namespaces.Single(n => n.Key == "pid").Value);
        Assert.Equal("private", info.Namespaces.Single(n => n.Key == "ipc").Value);
        Assert.Equal("backend", info.Namespaces.Single(n => n.Key == "net").Value);
        Assert.Equal(["NET_ADMIN"], info.CapAdd);
        Assert.Equal(["MKNOD"], info.CapDrop);
        Assert.Equal("unconfined", info.Seccomp);
        Assert.True(info.NoNewPrivileges);
        Assert.True(info.ReadOnlyRootfs);
        Assert.Equal("1000", info.User);
        Assert.Equal(["/proc/kcore", "/proc/keys"], info.MaskedPaths);
        Assert.Null(info.ProcessLabel);
    }

    [Fact]
    public void Settings_read_back_from_an_inspect_leave_out_what_docker_filled_in()
    {
        using var inspect = JsonDocument.Parse(Inspect);

        var settings = ConsoleContainerInspection.ReadSettings(inspect.RootElement);

        Assert.Equal("web", settings.Name);
        Assert.Equal(["sh", "-c", "sleep 1000"], settings.Cmd);
        Assert.Equal([new KeyValuePair<string, string>("GREETING", "hello world")], settings.Env);
        Assert.Equal([new RunPort(80, "tcp", 8080)], settings.Ports);
        Assert.Null(settings.Hostname); // Docker's default: the id's start
        Assert.Equal([new KeyValuePair<string, string>("tier", "front")], settings.Labels);
        Assert.Equal(new RunHealthCheck("true", TimeSpan.FromSeconds(30), null, 3, null), settings.HealthCheck);
        Assert.Equal(
            "docker run -d --name web --user 1000 --read-only -e 'GREETING=hello world' -p 8080:80 -v data:/data:ro --network backend --memory 67108864 --cpus 0.5 "
            + "--pids-limit 50 --restart on-failure:2 --health-cmd true --health-interval 30s --health-retries 3 --cap-add NET_ADMIN --cap-drop MKNOD --label tier=front busybox:latest sh -c 'sleep 1000'",
            DockerRunCommand.Format(settings));
    }

    private void UseFake(FakeInspection fake) => Services.AddSingleton<IContainerInspection>(fake);

    [Fact]
    public void The_security_tab_says_when_selinux_is_off_and_shows_labels_when_on()
    {
        UseFake(new FakeInspection());
        var off = Render<SecurityView>(p => p.Add(v => v.Host, "h1").Add(v => v.ContainerId, "abc"));
        Assert.Equal("SELinux is not enabled on this host.", off.Find(".selinux").TextContent.Trim());
        Assert.Contains("NET_ADMIN", off.Markup);
        Assert.Contains("/proc/kcore", off.Markup);

        using var other = new BunitContext();
        other.Services.AddSingleton<IContainerInspection>(new FakeInspection { SeLinux = true });
        var on = other.Render<SecurityView>(p => p.Add(v => v.Host, "h1").Add(v => v.ContainerId, "abc"));
        Assert.Contains("container_t:s0:c1,c2", on.Find(".selinux").TextContent);
    }

    [Fact]
    public void The_processes_and_systemd_tabs_show_the_hosts_answers()
    {
        UseFake(new FakeInspection());
        var processes = Render<ProcessesView>(p => p.Add(v => v.Host, "h1").Add(v => v.ContainerId, "abc"));
        Assert.Equal(2, processes.FindAll("tbody tr").Count);
        Assert.Equal("PID", processes.Find("th").TextContent);

        var unit = Render<SystemdUnitView>(p => p.Add(v => v.Host, "h1").Add(v => v.ContainerId, "abc"));
        Assert.Contains("ExecStart=/usr/bin/docker run --rm --name web busybox:latest sleep 1000", unit.Find("pre.unit").TextContent);
        Assert.Equal("container-web.service", unit.Find("a[download]").GetAttribute("download"));
    }

    [Fact]
    public void Commit_sends_repo_tag_message_and_author_and_shows_a_refusal()
    {
        var fake = new FakeInspection();
        UseFake(fake);
        var view = Render<CommitView>(p => p.Add(v => v.Host, "h1").Add(v => v.ContainerId, "abc"));

        view.Find("form").Submit();
        Assert.Contains("repository is required", view.Find("#commit-repo-error").TextContent);
        Assert.Empty(fake.Commits);

        view.Find("#commit-repo").Change("team/app");
        view.Find("#commit-tag").Change("v2");
        view.Find("#commit-message").Change("add config");
        view.Find("#commit-author").Change("Otto <otto@example.org>");
        view.Find("form").Submit();
        Assert.Equal(("h1", "abc", new CommitImageRequest("team/app", "v2", "add config", "Otto <otto@example.org>")), Assert.Single(fake.Commits));
        Assert.Contains("team/app:v2", view.Find(".done").TextContent);

        fake.Refuse = "Your role may not commit containers; an operator or admin may.";
        view.Find("form").Submit();
        Assert.Contains("may not commit", view.Find(".error-display").TextContent);
    }
}
