using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// The docker CLI commands of issue 4's list that the agent supports, with their output checked against the format
/// dockerd prints; and the options it does not support yet, which must fail with a clear error rather than be ignored.
/// </summary>
public sealed class DockerCliMatrixTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [RequiresRootFact]
    public async Task VersionAndInfoDescribeTheServer()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        var version = agent.DockerOk("version");
        Assert.Contains("Server: ContainerConsole Engine", version);
        Assert.Matches(new Regex(@"API version:\s+1\.\d+ \(minimum version 1\.24\)"), version);
        Assert.Matches(new Regex(@"OS/Arch:\s+linux/amd64"), version.Split("Server:")[1]);
        Assert.Equal("1.45", agent.DockerOk("version", "-f", "{{.Server.APIVersion}}").Trim());

        var info = agent.DockerOk("info");
        Assert.Contains(" Images: 1\n", info);
        Assert.Contains(" Swarm: inactive\n", info);
        Assert.Contains(" Logging Driver: json-file\n", info);
        Assert.Contains($" Kernel Version: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}\n", info);
        Assert.DoesNotContain("Total Memory: 0B", info);
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), agent.DockerOk("info", "-f", "{{.NCPU}}").Trim());
    }

    [RequiresRootFact]
    public async Task RunHonoursItsOptions()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        var output = agent.DockerOk("run", "--name", "opts", "-e", "FOO=bar", "--memory", "32m", "--cpus", "0.5", "--pids-limit", "20",
            "--cap-drop", "ALL", "--read-only", "--user", "nobody", "-w", "/tmp", "clibox:1",
            "sh", "-c", "echo $FOO; id -u; pwd; mkdir /x 2>&1; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; while read k v; do [ $k = CapEff: ] && echo $k $v; done < /proc/self/status; true");
        Assert.Equal(["bar", "65534", "/tmp", "mkdir: can't create directory '/x': Read-only file system", "33554432", "50000", "20", "CapEff: 0000000000000000"], Lines(output));
        // --privileged grants every capability the agent holds (this machine's bounding set lacks some: capset failed).
        var ownBounding = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapBnd:", StringComparison.Ordinal)).Split('\t')[1];
        Assert.Equal($"CapEff: {ownBounding}", agent.DockerOk("run", "--rm", "--privileged", "clibox:1", "sh", "-c",
            "while read k v; do [ $k = CapEff: ] && echo $k $v; done < /proc/self/status; true").Trim());
        // Resources get dockerd's checks at create as at update.
        Assert.Contains($"Range of CPUs is from 0.01 to {Environment.ProcessorCount}.00", agent.Docker("run", "--rm", "--cpus", "100", "clibox:1", "true").Stderr);
        Assert.Contains("Minimum memory limit allowed is 6MB", agent.Docker("run", "--rm", "--memory", "1m", "clibox:1", "true").Stderr);
        Assert.Contains("Minimum memoryswap limit should be larger than memory limit", agent.Docker("run", "--rm", "--memory", "20m", "--memory-swap", "10m", "clibox:1", "true").Stderr);
        Assert.Equal("ep works", agent.DockerOk("run", "--rm", "--entrypoint", "echo", "clibox:1", "ep", "works").Trim());
        Assert.Equal("/opts exited 0", agent.DockerOk("inspect", "-f", "{{.Name}} {{.State.Status}} {{.State.ExitCode}}", "opts").Trim());

        // A --rm container whose start fails is removed, so docker run returns instead of waiting for that forever.
        var failed = TestEnvironment.RunWithInput(TestEnvironment.DockerCli, null, TimeSpan.FromSeconds(30), "-H", "unix://" + agent.Socket, "run", "--rm", "--name", "nostart", "--cpuset-cpus", "4000", "clibox:1", "true");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("cpuset.cpus", failed.Stderr);
        Assert.DoesNotContain("Unhandled exception", failed.Stderr);
        Assert.Equal("", agent.DockerOk("ps", "-aq", "-f", "name=nostart"));
    }

    [RequiresRootFact]
    public async Task PsLogsExecDiffAndRemoveLookAsDockerds()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        var id = agent.DockerOk("run", "-d", "--name", "svc", "clibox:1", "sh", "-c", "echo started; while true; do sleep 1; done").Trim();
        Assert.Matches("^[0-9a-f]{64}$", id);

        var table = Lines(agent.DockerOk("ps"));
        Assert.Matches(new Regex(@"^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$"), table[0]);
        Assert.Matches(new Regex($@"^{id[..12]}\s+clibox:1\s+""sh -c 'echo started…""\s+(Less than a second|\d+ seconds?) ago\s+Up (Less than a second|\d+ seconds?)\s+svc$"), table[1]);
        Assert.Equal($"{id[..12]} svc", agent.DockerOk("ps", "-a", "-f", "status=running", "--format", "{{.ID}} {{.Names}}").Trim());

        Assert.Equal("in exec /tmp nobody", agent.DockerOk("exec", "-u", "nobody", "-w", "/tmp", "svc", "sh", "-c", "echo in exec $(pwd) $(whoami)").Trim());
        agent.DockerOk("exec", "svc", "sh", "-c", "echo x > /tmp/added; rm /etc/group");
        Assert.Equal(["C /etc", "D /etc/group", "C /tmp", "A /tmp/added"], Lines(agent.DockerOk("diff", "svc")));

        // logs -f ends when the container does.
        agent.DockerOk("run", "-d", "--name", "short", "clibox:1", "sh", "-c", "echo one; sleep 2; echo two >&2");
        var follow = TestEnvironment.RunWithInput(TestEnvironment.DockerCli, null, TimeSpan.FromSeconds(30), "-H", "unix://" + agent.Socket, "logs", "-f", "short");
        Assert.Equal(0, follow.ExitCode);
        Assert.Equal("one\n", follow.Stdout);
        Assert.Equal("two\n", follow.Stderr);
        Assert.Matches(new Regex(@"^short Exited \(0\) (Less than a second|\d+ seconds?) ago$"), agent.DockerOk("ps", "-a", "-f", "name=short", "--format", "{{.Names}} {{.Status}}").Trim());

        Assert.Equal("svc", agent.DockerOk("rm", "-f", "svc").Trim());
        Assert.Equal(["short"], Lines(agent.DockerOk("ps", "-a", "--format", "{{.Names}}")));
    }

    [RequiresRootFact]
    public async Task ImagesTagRmiSaveAndLoad()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        var table = Lines(agent.DockerOk("images"));
        Assert.Matches(new Regex(@"^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$"), table[0]);
        // ImageArchive's config says created 2026-11-29T00:00:00Z; the layer is busybox (about 2 MB).
        Assert.Matches(new Regex(@"^clibox\s+1\s+[0-9a-f]{12}\s+(\d+ (seconds|minutes|hours|days|weeks|months|years)|About (a minute|an hour)) ago\s+\d\.\d+MB$"), table[1]);

        agent.DockerOk("run", "--name", "user", "clibox:1", "true");
        agent.DockerOk("tag", "clibox:1", "example.org/cli/box:2");
        Assert.Equal(["clibox:1", "example.org/cli/box:2"], Lines(agent.DockerOk("images", "--format", "{{.Repository}}:{{.Tag}}")).Order());
        // One of two tags goes even though a container uses the image, as with dockerd; the last one needs -f.
        Assert.Equal("Untagged: example.org/cli/box:2", agent.DockerOk("rmi", "example.org/cli/box:2").Trim());
        Assert.Contains("must force", agent.Docker("rmi", "clibox:1").Stderr);

        var saved = Path.Combine(agent.Dir, "saved.tar");
        agent.DockerOk("save", "-o", saved, "clibox:1");
        agent.DockerOk("rm", "user");
        Assert.Contains("Untagged: clibox:1", agent.DockerOk("rmi", "clibox:1"));
        Assert.Equal("", agent.DockerOk("images", "-q"));
        Assert.Equal("Loaded image: clibox:1", agent.DockerOk("load", "-i", saved).Trim());
        Assert.Equal("hello", agent.DockerOk("run", "--rm", "clibox:1", "echo", "hello").Trim());
    }

    [RequiresRootFact]
    public async Task WhatTheAgentCannotDoYetFailsWithAClearError()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        foreach (var (args, message) in new (string[], string)[]
        {
            (["--network", "mynet"], "network mynet not found"),
            (["--device", "/dev/no-such-device"], "error gathering device information while adding custom device \"/dev/no-such-device\""),
            (["--link", "other:db"], "links (--link)"),
            (["--runtime", "nosuch"], "unknown or invalid runtime name: nosuch"),
            (["--ipc", "container:nosuch"], "No such container: nosuch"),
            (["--uts", "host", "--hostname", "x"], "conflicting options: hostname and the UTS mode"),
            (["--group-add", "nosuchgroup"], "Unable to find group nosuchgroup"),
            (["--log-driver", "syslog"], "syslog logging driver"),
            (["--platform", "linux/arm64"], "platform linux/arm64 is not supported"),
        })
        {
            var r = agent.Docker(["run", "--rm", .. args, "clibox:1", "true"]);
            Assert.True(r.ExitCode != 0, $"docker run {string.Join(' ', args)} was accepted");
            Assert.Contains(message, r.Stderr);
        }
        Assert.Equal("", agent.DockerOk("ps", "-aq"));
        Assert.Equal(["bridge bridge", "host host", "none null"], agent.DockerOk("network", "ls", "--format", "{{.Name}} {{.Driver}}").Trim().Split('\n').Order());

        Assert.Equal("lo", agent.DockerOk("run", "--rm", "--network", "none", "clibox:1", "ls", "/sys/class/net").Trim());
        agent.DockerOk("run", "-d", "--name", "noports", "clibox:1", "sleep", "60");
        Assert.Equal("", agent.DockerOk("port", "noports"));
    }

    [RequiresRootFact]
    public async Task SystemPruneRuns()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        agent.DockerOk("create", "--name", "stopped", "clibox:1", "true");
        var pruned = agent.DockerOk("system", "prune", "-f"); // containers, networks, images and the build cache (/build/prune)
        Assert.Contains("Deleted Containers:", pruned);
        Assert.Equal("", agent.DockerOk("ps", "-aq"));
    }

    [RequiresRootFact]
    public void SearchIsRefusedWithTheReason()
    {
        using var agent = new AgentProcess();
        var r = agent.Docker("search", "busybox");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("docker search is not supported by this agent", r.Stderr);
    }

    [RequiresRootFact]
    public async Task DevicesAreHandedOverByDeviceAndPrivileged()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        Assert.StartsWith("c", agent.DockerOk("run", "--rm", "--device", "/dev/fuse", "clibox:1", "ls", "-l", "/dev/fuse").Trim());
        Assert.Contains("10, 200", agent.DockerOk("run", "--rm", "--device", "/dev/net/tun:/dev/tun0:r", "clibox:1", "ls", "-l", "/dev/tun0"));
        // r only: the device cgroup refuses opening it for writing (not tun: Docker's default rules allow it anyway)
        Assert.Contains("Operation not permitted", agent.Docker("run", "--rm", "--device", "/dev/fuse:/dev/fuse:r", "clibox:1", "sh", "-c", "echo > /dev/fuse").Stderr);
        Assert.Contains("No such file", agent.Docker("run", "--rm", "clibox:1", "ls", "/dev/fuse").Stderr);
        var privileged = agent.DockerOk("run", "--rm", "--privileged", "clibox:1", "ls", "/dev", "/dev/net");
        Assert.Contains("fuse", privileged);
        Assert.Contains("tun", privileged);
        Assert.Contains("loop0", privileged);
    }

    [RequiresRootFact]
    public async Task InitUlimitsGroupsShmAndNamespaceModesWorkAsWithDocker()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("clibox:1");
        // --init: Debian's static tini is pid 1 and the command its child
        var ps = agent.DockerOk("run", "--rm", "--init", "clibox:1", "sh", "-c", "ps -o pid,args");
        Assert.Matches(@"(?m)^\s*1 /sbin/docker-init -- sh", ps);
        Assert.Equal("100\n200", agent.DockerOk("run", "--rm", "--ulimit", "nofile=100:200", "clibox:1", "sh", "-c", "ulimit -n; ulimit -Hn").Trim());
        Assert.Contains("groups=10,1234", agent.DockerOk("run", "--rm", "--group-add", "10", "--group-add", "1234", "clibox:1", "sh", "-c", "id"));
        Assert.Contains(" 32768 ", agent.DockerOk("run", "--rm", "--shm-size", "32m", "clibox:1", "sh", "-c", "df -k /dev/shm"));
        Assert.Equal(Environment.MachineName, agent.DockerOk("run", "--rm", "--uts", "host", "clibox:1", "sh", "-c", "cat /proc/sys/kernel/hostname").Trim());
        // the host's pid namespace sees more than the container's own two processes
        Assert.True(int.Parse(agent.DockerOk("run", "--rm", "--pid", "host", "clibox:1", "sh", "-c", "ls -d /proc/[0-9]* | wc -l").Trim()) > 10);
        agent.DockerOk("run", "--rm", "--cap-add", "ALL", "--userns", "host", "--cgroupns", "host", "--security-opt", "apparmor=unconfined", "clibox:1", "true");

        // another container's pid and ipc namespaces: its processes and its IPC namespace
        agent.DockerOk("run", "-d", "--name", "holder", "clibox:1", "sleep", "60");
        var holderIpc = agent.DockerOk("exec", "holder", "sh", "-c", "readlink /proc/self/ns/ipc").Trim();
        var seen = agent.DockerOk("run", "--rm", "--pid", "container:holder", "--ipc", "container:holder", "clibox:1", "sh", "-c", "ps -o args; readlink /proc/self/ns/ipc");
        Assert.Contains("sleep 60", seen);
        Assert.Contains(holderIpc, seen);
        agent.DockerOk("stop", "-t", "1", "holder");
        Assert.Contains("cannot join PID of a non running container", agent.Docker("run", "--rm", "--pid", "container:holder", "clibox:1", "true").Stderr);
    }
}
