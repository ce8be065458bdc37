using System.Text;
using ContainerConsole.Agent;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Integration.Tests;

/// <summary>The pure parts of attach and exec: detach keys, stream framing, the exec process, runtime errors.</summary>
public sealed class AttachUnitTests
{
    private static string Pass(DetachKeys keys, string input, out bool detached) =>
        Encoding.Latin1.GetString(keys.Scan(Encoding.Latin1.GetBytes(input), out detached));

    [Fact]
    public void Default_detach_keys_are_ctrl_p_ctrl_q_and_are_not_passed_on()
    {
        var keys = DetachKeys.Parse(null);
        Assert.Equal("ab", Pass(keys, "ab\u0010\u0011cd", out var detached));
        Assert.True(detached);
    }

    [Fact]
    public void A_sequence_split_across_reads_still_detaches()
    {
        var keys = DetachKeys.Parse("ctrl-p,ctrl-q");
        Assert.Equal("x", Pass(keys, "x\x10", out var first));
        Assert.False(first);
        Assert.Equal("", Pass(keys, "\x11", out var second));
        Assert.True(second);
    }

    [Fact]
    public void A_started_sequence_that_does_not_continue_is_released()
    {
        var keys = DetachKeys.Parse(null);
        Assert.Equal("", Pass(keys, "\x10", out _));
        Assert.Equal("\x10y", Pass(keys, "y", out var detached));
        Assert.False(detached);
        Assert.Equal("\x10", Pass(keys, "\x10\x10\x11", out var again)); // the first ctrl-p was text, the second starts the sequence
        Assert.True(again);
    }

    [Theory]
    [InlineData("ctrl-a", new byte[] { 1 })]
    [InlineData("ctrl-@,ctrl-[,ctrl-_", new byte[] { 0, 27, 31 })]
    [InlineData("a,ctrl-z", new byte[] { (byte)'a', 26 })]
    public void Detach_keys_parse_as_docker_writes_them(string spec, byte[] expected)
    {
        var keys = DetachKeys.Parse(spec);
        var typed = Encoding.Latin1.GetString(expected);
        Assert.Equal("", Pass(keys, typed, out var detached));
        Assert.True(detached);
    }

    [Theory]
    [InlineData("ctrl-")]
    [InlineData("ctrl-1")]
    [InlineData("ab")]
    [InlineData("ctrl-p,,ctrl-q")]
    public void Bad_detach_keys_are_a_400_naming_them(string spec)
    {
        var e = Assert.Throws<EngineException>(() => DetachKeys.Parse(spec));
        Assert.Equal(400, e.Status);
        Assert.Equal($"Invalid detach keys ({spec}) provided", e.Message);
    }

    [Fact]
    public void Frames_carry_the_stream_and_a_big_endian_length()
    {
        var frame = AttachSession.Frame(2, "hello"u8);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0, 0, 5 }, frame[..8]);
        Assert.Equal("hello", Encoding.ASCII.GetString(frame, 8, 5));
    }

    [Fact]
    public void A_terminal_is_one_raw_stream()
    {
        var tty = new AttachStreams(false, true, false, true, false, DetachKeys.Parse(null));
        Assert.Equal("application/vnd.docker.raw-stream", tty.ContentType);
        var plain = tty with { Tty = false };
        Assert.Equal("application/vnd.docker.multiplexed-stream", plain.ContentType);
        Assert.True(plain.Wants(1));
        Assert.False(plain.Wants(2));
    }

    private static readonly Process Container = new()
    {
        Args = ["sleep", "1000"],
        Env = ["PATH=/bin", "A=1", "B=2"],
        Cwd = "/srv",
        User = new User { Uid = 10, Gid = 10 },
        Capabilities = new Capabilities { Bounding = ["CAP_CHOWN"], Effective = ["CAP_CHOWN"], Permitted = ["CAP_CHOWN"] },
        NoNewPrivileges = true,
        SelinuxLabel = "system_u:system_r:container_t:s0:c1,c2",
    };

    private static User NoLookup(string user) => throw new InvalidOperationException($"unexpected user lookup {user}");

    [Fact]
    public void An_exec_inherits_the_containers_process_and_overrides_what_it_names()
    {
        var p = ExecProcess.Build(Container, new ExecConfig { Cmd = ["sh", "-c", "id"], Env = ["B=3", "C=4"] }, NoLookup);
        Assert.Equal(["sh", "-c", "id"], p.Args);
        Assert.Equal(["PATH=/bin", "A=1", "B=3", "C=4"], p.Env);
        Assert.Equal("/srv", p.Cwd);
        Assert.Equal(10u, p.User.Uid);
        Assert.Equal(["CAP_CHOWN"], p.Capabilities!.Bounding);
        Assert.True(p.NoNewPrivileges);
        Assert.Equal(Container.SelinuxLabel, p.SelinuxLabel);
        Assert.False(p.Terminal);
        Assert.Null(p.ConsoleSize);
    }

    [Fact]
    public void An_exec_with_user_dir_terminal_and_privileges()
    {
        var p = ExecProcess.Build(Container, new ExecConfig
        {
            Cmd = ["sh"], User = "nobody", WorkingDir = "/tmp", Tty = true, Privileged = true, ConsoleSize = [40, 120],
        }, u => u == "nobody" ? new User { Uid = 65534, Gid = 65534 } : NoLookup(u));
        Assert.Equal(65534u, p.User.Uid);
        Assert.Equal("/tmp", p.Cwd);
        Assert.True(p.Terminal);
        Assert.Contains("TERM=xterm", p.Env);
        Assert.Equal((40u, 120u), (p.ConsoleSize!.Height, p.ConsoleSize.Width));
        Assert.Contains("CAP_SYS_ADMIN", p.Capabilities!.Effective);
        Assert.Equal(["CAP_CHOWN"], Container.Capabilities!.Effective); // the container's own spec is untouched
    }

    [Theory]
    [InlineData("exec: \"nope\": executable file not found in $PATH", 127)]
    [InlineData("exec: \"/nope\": stat /nope: no such file or directory", 127)]
    [InlineData("exec: \"/etc/passwd\": permission denied", 126)]
    public void A_process_that_cannot_start_gets_dockers_exit_code(string error, int code) =>
        Assert.Equal(code, ExecProcess.FailureExitCode(error));

    [Theory]
    [InlineData("time=\"2026-11-29T07:00:00Z\" level=error msg=\"exec: \\u0022x\\u0022: executable file not found in $PATH\"", "exec: \"x\": executable file not found in $PATH")]
    [InlineData("ccrun: container abc is stopped", "container abc is stopped")]
    public void Runtime_errors_are_decoded_from_the_runtime_log(string logged, string message) =>
        Assert.Equal(message, RuntimeClient.CleanRuntimeError(logged));

    [Fact]
    public void Monitor_sockets_fit_a_unix_socket_path()
    {
        var options = new AgentOptions { ExecRoot = "/run/" + new string('r', 60) };
        var id = new string('f', 64);
        Assert.True(options.AttachSocket(id).Length < 108, options.AttachSocket(id));
        Assert.NotEqual(options.AttachSocket(id), options.ConsoleSocket(id));
    }
}
