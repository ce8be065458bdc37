using System.Text;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Plan;

public class InitPlanSerializationTests(NativePlanParser native) : IClassFixture<NativePlanParser>
{
    private static string Text(InitPlan plan) => Encoding.UTF8.GetString(plan.Serialize());

    private static readonly string[] AwkwardValues =
    [
        "", ",", ";", ":", "\n", "3:abc,", "5:clone,;", "a,b;c:d\ne", "trailing;\n", "héllo wörld", "🚀 ünïcödé",
        "tab\there", "quote\"back\\slash", "\u0001\u001f\u007f", "  spaces  ",
    ];

    // A strict reader of the format: every token must be "<len>:<len bytes>," and every record end with ";\n".
    private static List<string[]> ReadStrict(byte[] data)
    {
        var records = new List<string[]>();
        var current = new List<string>();
        var i = 0;
        while (i < data.Length)
        {
            if (data[i] == ';')
            {
                Assert.NotEmpty(current);
                Assert.True(i + 1 < data.Length && data[i + 1] == '\n', $"record end at byte {i} is not \";\\n\"");
                records.Add([.. current]);
                current.Clear();
                i += 2;
                continue;
            }
            var start = i;
            while (data[i] is >= (byte)'0' and <= (byte)'9')
                i++;
            Assert.True(i > start, $"no length at byte {start}");
            Assert.Equal((byte)':', data[i]);
            var len = int.Parse(Encoding.ASCII.GetString(data, start, i - start));
            Assert.Equal((byte)',', data[i + 1 + len]);
            current.Add(Encoding.UTF8.GetString(data, i + 1, len));
            i += len + 2;
        }
        Assert.Empty(current);
        return records;
    }

    private static InitPlan FullPlan()
    {
        var spec = DefaultSpec.Create(args: ["/bin/sh", "-c", "echo 'a,b;c:d' && printf 'x\\ny'"], hostname: "hôst");
        spec.Process!.Env.Add("MULTI=line1\nline2");
        spec.Process.Env.Add("WEIRD=1:x,;");
        spec.Process.User = new User { Uid = 1000, Gid = 1000, AdditionalGids = [4, 24, 27], Umask = 0x12 };
        spec.Process.Rlimits.Add(new Rlimit { Type = "RLIMIT_NOFILE", Soft = 1024, Hard = ulong.MaxValue });
        spec.Process.ConsoleSize = new ConsoleSize { Height = 50, Width = 132 };
        spec.Process.OomScoreAdj = -999;
        spec.Process.NoNewPrivileges = true;
        spec.Root!.Readonly = true;
        spec.Domainname = "example.org";
        spec.Linux!.Namespaces.Add(new LinuxNamespace { Type = "user" });
        spec.Linux.UidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        spec.Linux.GidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        spec.Linux.Sysctl["net.ipv4.ip_forward"] = "1";
        spec.Linux.RootfsPropagation = "rshared";
        spec.Annotations[InitPlanner.OverlayLowerAnnotation] = "/layers/a:/layers/b";
        spec.Annotations[InitPlanner.OverlayUpperAnnotation] = "/upper";
        spec.Annotations[InitPlanner.OverlayWorkAnnotation] = "/work";
        var ctx = new PlanContext("/var/lib/cc/c1/rootfs", "/run/cc/c1/exec.fifo", "/run/cc/seccomp.bpf", 1, 4, "/tmp/console.sock",
            [new("memory", "cgroup", "memory"), new("cpu,cpuacct", "cgroup", "cpu,cpuacct")], 40, Wait: true);
        return InitPlanner.ForContainer(spec, ctx);
    }

    // --- the format ---------------------------------------------------------------

    [Fact]
    public void EmptyPlanIsEmpty() => Assert.Empty(new InitPlan().Serialize());

    [Fact]
    public void TokensAreLengthPrefixedAndRecordsEndWithSemicolon()
    {
        var plan = new InitPlan().Add("mount", "proc", "proc", "", "14").Add("loup").Add("env", "A=1");
        Assert.Equal("5:mount,4:proc,4:proc,0:,2:14,;\n4:loup,;\n3:env,3:A=1,;\n", Text(plan));
    }

    [Fact]
    public void LengthsAreUtf8Bytes()
    {
        Assert.Equal("8:hostname,5:hôst,;\n", Text(new InitPlan().Add("hostname", "hôst")));
        Assert.Equal("3:arg,4:🚀,;\n", Text(new InitPlan().Add("arg", "🚀")));
        Assert.Equal("3:arg,6:日本,;\n", Text(new InitPlan().Add("arg", "日本")));
        Assert.Equal(new byte[] { (byte)'3', (byte)':', (byte)'a', (byte)'r', (byte)'g', (byte)',', (byte)'2', (byte)':', 0xC3, 0xA9, (byte)',', (byte)';', (byte)'\n' },
            new InitPlan().Add("arg", "é").Serialize());
    }

    [Fact]
    public void SeparatorsInValuesNeedNoEscaping()
    {
        Assert.Equal("3:env,11:a,b;c:d\ne=f,;\n", Text(new InitPlan().Add("env", "a,b;c:d\ne=f")));
        var plan = new InitPlan();
        foreach (var v in AwkwardValues)
            plan.Add("arg", v, v);
        Assert.Equal(AwkwardValues.Select(v => new[] { "arg", v, v }), ReadStrict(plan.Serialize()));
    }

    [Fact]
    public void FullPlanReadsBackExactly()
    {
        var plan = FullPlan();
        Assert.Equal(plan.Records.Select(r => new[] { r.Op }.Concat(r.Fields).ToArray()), ReadStrict(plan.Serialize()));
    }

    [Fact]
    public void RecordToStringIsOpAndFields()
    {
        Assert.Equal("loup", new PlanRecord("loup", []).ToString());
        Assert.Equal("setns 1073741824 /proc/1/ns/net", new PlanRecord("setns", ["1073741824", "/proc/1/ns/net"]).ToString());
    }

    // --- the C parser (plan.c), compiled and run ----------------------------------

    private void AssertCParsesBack(InitPlan plan)
    {
        var r = native.Parse(plan.Serialize());
        Assert.True(r.ExitCode == 0, $"plan.c rejected the plan ({r.ExitCode}): {r.Stderr}");
        Assert.Equal(plan.Records.Select(x => new[] { x.Op }.Concat(x.Fields).ToArray()), r.Records());
    }

    [Fact]
    public void CParserReadsTheFullPlan()
    {
        var plan = FullPlan();
        Assert.Contains(plan.Records, r => r.Op == "overlay");
        Assert.Contains(plan.Records, r => r.Op == "uidmap" && r.Fields[0].Contains('\n'));
        AssertCParsesBack(plan);
    }

    [Fact]
    public void CParserReadsTheExecPlan()
    {
        var process = new Process { Args = ["ps", "aux"], Env = ["PATH=/bin"], Cwd = "/", User = new User { Uid = 5 } };
        var ctx = new PlanContext("/r", null, null, 0, 0, null, [], 40, Wait: true, Detach: true);
        AssertCParsesBack(InitPlanner.ForExec(process, 77, ["user", "pid", "network", "mount"], ctx));
    }

    [Fact]
    public void CParserKeepsAwkwardValues()
    {
        var plan = new InitPlan();
        foreach (var v in AwkwardValues)
            plan.Add("env", v);
        plan.Add("cgroupns");
        plan.Add("mknod", "dev/x", "c", "1", "2", "438", "0", "0");
        plan.Add("many", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"); // PLAN_MAX_FIELDS
        AssertCParsesBack(plan);
    }

    [Fact]
    public void CParserHandlesLargePlans()
    {
        // beyond the parser's first 16 KiB buffer and 64-record table
        var plan = new InitPlan();
        plan.Add("env", "BIG=" + new string('x', 100_000));
        for (var i = 0; i < 500; i++)
            plan.Add("arg", $"argument-{i}", i % 2 == 0 ? "ünï" : "");
        AssertCParsesBack(plan);
    }

    [Fact]
    public void CParserAcceptsAnEmptyPlan()
    {
        var r = native.Parse([]);
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Records());
    }

    [Theory]
    [InlineData("4:clone,;\n", "plan: malformed token at byte 0")] // length too short
    [InlineData("9:clone,;\n", "plan: malformed token at byte 0")] // length too long
    [InlineData("5:clone,;\n3:wait,;\n", "plan: malformed token at byte 10")]
    [InlineData("5:clone;\n", "plan: malformed token at byte 0")] // no ',' after the bytes
    [InlineData("5:clone,1:0;\n", "plan: malformed token at byte 8")]
    [InlineData("x:clone,;\n", "plan: malformed token at byte 0")] // no length
    [InlineData("5clone,;\n", "plan: malformed token at byte 0")] // no ':'
    [InlineData("5:clone,1:0,", "plan: last record not terminated")]
    [InlineData("5:clone,;\n4:loup,", "plan: last record not terminated")]
    [InlineData("5:clone,;\n;\n", "plan: empty record at byte 10")]
    [InlineData(";", "plan: empty record at byte 0")]
    [InlineData("5:clo", "plan: malformed token at byte 0")] // truncated
    [InlineData("18446744073709551615:x,;\n", "plan: token length at byte 0 exceeds the plan")] // would overflow size_t
    [InlineData("2:op,1:1,1:2,1:3,1:4,1:5,1:6,1:7,1:8,1:9,2:10,2:11,;\n", "plan: too many fields in \"op\"")]
    public void CParserRejectsMalformedPlans(string plan, string message)
    {
        var r = native.Parse(Encoding.UTF8.GetBytes(plan));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal(message, r.Stderr.TrimEnd('\n'));
        Assert.Equal("", r.Stdout);
    }
}
