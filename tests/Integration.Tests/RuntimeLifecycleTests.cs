using System.Text.Json;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Integration.Tests;

/// <summary>The OCI lifecycle through ccrun's runc-compatible verbs.</summary>
public sealed class RuntimeLifecycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [RequiresRootFact]
    public void CreateWaitsForStartThenRuns()
    {
        using var b = new TestBundle(["sh", "-c", "echo started; sleep 600"]);
        var create = b.Create();
        Assert.True(create.ExitCode == 0, b.Output);
        Assert.Equal("created", b.Status());
        Thread.Sleep(200);
        Assert.DoesNotContain("started", b.Output); // the process has not been exec'd yet
        using (var doc = JsonDocument.Parse(b.Ccrun("state", b.Id).Stdout))
        {
            Assert.Equal(b.Id, doc.RootElement.GetProperty("id").GetString());
            Assert.Equal(b.Dir, doc.RootElement.GetProperty("bundle").GetString());
            Assert.True(doc.RootElement.GetProperty("pid").GetInt32() > 0);
        }
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        b.WaitForOutput("started", Wait);
        Assert.Equal("running", b.Status());
        var again = b.Ccrun("start", b.Id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("it is running", again.Stderr);
        Assert.Equal(1, b.Ccrun("delete", b.Id).ExitCode);
        Assert.Equal(0, b.Ccrun("delete", "--force", b.Id).ExitCode);
        Assert.Equal("missing", b.Status());
    }

    [RequiresRootFact]
    public void PauseFreezesAndResumeThaws()
    {
        using var b = new TestBundle(["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done"]);
        Assert.Equal(0, b.Create().ExitCode);
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        b.WaitForOutput("tick 2", Wait);
        Assert.Equal(0, b.Ccrun("pause", b.Id).ExitCode);
        Assert.Equal("paused", b.Status());
        var frozenAt = b.Output.Length;
        Thread.Sleep(400);
        Assert.Equal(frozenAt, b.Output.Length);
        Assert.Equal(1, b.Ccrun("pause", b.Id).ExitCode);
        Assert.Equal(0, b.Ccrun("resume", b.Id).ExitCode);
        Assert.Equal("running", b.Status());
        var deadline = DateTime.UtcNow + Wait;
        while (b.Output.Length == frozenAt && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.True(b.Output.Length > frozenAt, "no output after resume");
    }

    [RequiresRootFact]
    public void ExecJoinsTheContainersNamespacesAndCgroup()
    {
        using var b = new TestBundle(["sleep", "600"]);
        Assert.Equal(0, b.Create().ExitCode);
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        var r = b.Ccrun("exec", b.Id, "sh", "-c", "hostname; cat /proc/1/comm; echo $$; grep :memory: /proc/self/cgroup; grep CapEff /proc/self/status; unshare -m true 2>/dev/null; echo unshare=$?");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n');
        Assert.Equal($"box-{b.Id}", lines[0]);
        Assert.Equal("sleep", lines[1]);
        Assert.NotEqual("1", lines[2]);
        Assert.EndsWith(":memory:/", lines[3]); // the root of the container's cgroup namespace: its own cgroup
        Assert.Contains("CapEff:\t00000000a80425fb", r.Stdout);
        Assert.Contains("unshare=1", r.Stdout);
        Assert.Equal(5, b.Ccrun("exec", b.Id, "sh", "-c", "exit 5").ExitCode);
        var missing = b.Ccrun("exec", b.Id, "no-such-program");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such-program", missing.Stderr);
    }

    [RequiresRootFact]
    public void ExecWithATerminalGetsAPtyOfTheRequestedSize()
    {
        using var b = new TestBundle(["sleep", "600"]);
        Assert.Equal(0, b.Create().ExitCode);
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        var process = Path.Combine(b.Dir, "process.json");
        File.WriteAllText(process, """
            {"terminal": true, "consoleSize": {"height": 30, "width": 100}, "user": {"uid": 0, "gid": 0},
             "args": ["sh", "-c", "tty; stty size; [ -t 0 ] && echo stdin-is-a-tty"], "env": ["PATH=/bin"], "cwd": "/"}
            """);
        var r = b.Ccrun("exec", "--process", process, b.Id);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("/dev/pts/0\r\n30 100\r\nstdin-is-a-tty\r\n", r.Stdout); // a pty turns \n into \r\n
        var plain = b.Ccrun("exec", b.Id, "sh", "-c", "[ -t 0 ] || echo no-tty");
        Assert.Equal("no-tty\n", plain.Stdout);
    }

    [RequiresRootFact]
    public void UpdateChangesLimitsOfARunningContainer()
    {
        using var b = new TestBundle(["sleep", "600"], s => s.Linux!.Resources!.Pids = new PidsResources { Limit = 50 });
        Assert.Equal(0, b.Create().ExitCode);
        Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
        Assert.Equal(0, b.Ccrun("update", "--pids-limit", "7", "--memory", "67108864", b.Id).ExitCode);
        Assert.Equal("7", File.ReadAllText($"/sys/fs/cgroup/pids/containerconsole-test/{b.Id}/pids.max").Trim());
        Assert.Equal("67108864", File.ReadAllText($"/sys/fs/cgroup/memory/containerconsole-test/{b.Id}/memory.limit_in_bytes").Trim());
    }

    [RequiresRootFact]
    public void HooksRunWithTheStateOnStdin()
    {
        var log = Path.Combine(Path.GetTempPath(), "cc-hook-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var b = new TestBundle(["true"], s => s.Hooks = new Hooks
            {
                Prestart = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"cat > {log}.prestart"] }],
                // A failing poststart/poststop hook is a warning: the ones after it still run.
                Poststart = [new Hook { Path = "/bin/false" }, new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"echo poststart > {log}.poststart"] }],
                Poststop = [new Hook { Path = "/bin/false" }, new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"echo poststop > {log}.poststop"] }],
            });
            var r = b.RunForeground();
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("warning: poststart hook /bin/false exited with status 1", r.Stderr);
            using var doc = JsonDocument.Parse(File.ReadAllText(log + ".prestart"));
            Assert.Equal(b.Id, doc.RootElement.GetProperty("id").GetString());
            Assert.True(doc.RootElement.GetProperty("pid").GetInt32() > 0);
            Assert.True(File.Exists(log + ".poststart"));
            Assert.True(File.Exists(log + ".poststop"));
        }
        finally
        {
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(log) + ".*"))
                File.Delete(f);
        }
    }

    [RequiresRootFact]
    public void InContainerHooksRunInsideWithTheState()
    {
        var log = Path.Combine(Path.GetTempPath(), "cc-hook-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var b = new TestBundle(["sh", "-c", "cat /started; echo main"], s => s.Hooks = new Hooks
            {
                // createContainer: host path, container namespaces, before pivot_root.
                CreateContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"cat > {log}; readlink /proc/self/ns/uts >> {log}.ns"] }],
                // startContainer: resolved and run inside the container, before the process.
                StartContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "echo hook-ran > /started"], Env = ["PATH=/bin"] }],
            });
            Assert.Equal(0, b.Create().ExitCode);
            var pid = b.InitPid();
            using (var doc = JsonDocument.Parse(File.ReadAllText(log)))
            {
                Assert.Equal(b.Id, doc.RootElement.GetProperty("id").GetString());
                Assert.Equal(pid, doc.RootElement.GetProperty("pid").GetInt32());
                Assert.Equal(b.Dir, doc.RootElement.GetProperty("bundle").GetString());
            }
            Assert.Equal(new FileInfo($"/proc/{pid}/ns/uts").LinkTarget, File.ReadAllText(log + ".ns").Trim());
            Assert.Equal(0, b.Ccrun("start", b.Id).ExitCode);
            b.WaitForOutput("main", TimeSpan.FromSeconds(20));
            Assert.Equal("hook-ran\nmain\n", b.Output);
        }
        finally
        {
            foreach (var f in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(log) + "*"))
                File.Delete(f);
        }
    }

    [RequiresRootFact]
    public void AFailingStartContainerHookStopsTheContainer()
    {
        using var b = new TestBundle(["echo", "must not run"], s => s.Hooks = new Hooks
        {
            StartContainer = [new Hook { Path = "/bin/false" }],
        });
        Assert.Equal(0, b.Create().ExitCode);
        b.Ccrun("start", b.Id);
        b.WaitForStatus("stopped", TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("must not run", b.Output);
        Assert.Contains("startContainer hook /bin/false failed", b.Output);
    }

    [RequiresRootFact]
    public void BadInputIsRefusedAtCreateAndLeavesNothing()
    {
        void Refused(string expected, Action<RuntimeSpec>? customize = null, IEnumerable<string>? args = null, Action<TestBundle>? after = null)
        {
            using var b = new TestBundle(args ?? ["true"], customize);
            after?.Invoke(b);
            var r = b.Create();
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(expected, b.Output);
            Assert.Equal("missing", b.Status());
            Assert.False(Directory.Exists(Path.Combine(b.Root, b.Id)), "state directory left behind");
        }

        Refused("root.path: rootfs", s => s.Root!.Path = "no-such-rootfs");
        Refused("unknown capability \"CAP_NOT_A_CAP\"", s => s.Process!.Capabilities!.Bounding.Add("CAP_NOT_A_CAP"));
        Refused("SCMP_ACT_BOGUS", s => s.Linux!.Seccomp!.DefaultAction = "SCMP_ACT_BOGUS");
        Refused("exec: \"no-such-binary\": executable file not found in $PATH", args: ["no-such-binary"]);
        Refused("invalid JSON", after: b => File.WriteAllText(Path.Combine(b.Dir, "config.json"), "{ \"ociVersion\": "));
        Refused("linux.sysctl: kernel.panic is not namespaced", s => s.Linux!.Sysctl["kernel.panic"] = "1");
    }
}
