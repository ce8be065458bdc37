using System.Text.Json;
using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Spec;

public sealed class RuntimeSpecReaderTests
{
    private static string Write(RuntimeSpec s) => JsonSerializer.Serialize(s, RuntimeSpecJson.Default.RuntimeSpec);

    [Fact]
    public void ReadsBackEverythingTheGeneratedSerializerWrites()
    {
        var spec = DefaultSpec.Create("rootfs", ["sh", "-c", "echo hi"], "box");
        spec.Process!.User = new User { Uid = 1000, Gid = 100, Umask = 18, AdditionalGids = [5, 6] };
        spec.Process.Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Soft = 512, Hard = 1024 }];
        spec.Process.ConsoleSize = new ConsoleSize { Height = 30, Width = 100 };
        spec.Process.OomScoreAdj = -500;
        spec.Hooks = new Hooks { Prestart = [new Hook { Path = "/bin/true", Args = ["true"], Env = ["A=1"], Timeout = 5 }] };
        spec.Annotations["k"] = "v";
        spec.Linux!.UidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        spec.Linux.Devices = [new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229, FileMode = 438, Uid = 0, Gid = 0 }];
        spec.Linux.Sysctl["net.ipv4.ip_forward"] = "1";
        spec.Linux.Resources!.Memory = new MemoryResources { Limit = 1 << 26, Swap = -1, DisableOOMKiller = true };
        spec.Linux.Resources.Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0-1" };
        spec.Linux.Resources.Pids = new PidsResources { Limit = 64 };
        spec.Linux.Resources.BlockIO = new BlockIoResources { Weight = 300 };
        spec.Linux.Namespaces.Add(new LinuxNamespace { Type = "user", Path = "/proc/1/ns/user" });
        var json = Write(spec);

        var read = RuntimeSpecReader.Read(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Equal(json, Write(read));
        Assert.NotNull(read.Linux!.Seccomp!.RawJson);
    }

    [Theory]
    [InlineData("{\"process\": {\"args\": \"sh\"}}", "process.args: expected array, found string")]
    [InlineData("{\"process\": {\"args\": [\"sh\", 3]}}", "process.args[1]: expected string, found number")]
    [InlineData("{\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1g\"}}}}", "linux.resources.memory.limit: expected an integer")]
    [InlineData("{\"root\": {\"readonly\": \"yes\"}}", "root.readonly: expected true or false")]
    [InlineData("{\"annotations\": {\"a\": 1}}", "annotations.a: expected string, found number")]
    [InlineData("[]", "document: expected object, found array")]
    public void TypeErrorsNameTheField(string json, string message)
    {
        var e = Assert.Throws<SpecValidationException>(() => RuntimeSpecReader.Read(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void UnknownFieldsAreIgnored()
    {
        var spec = RuntimeSpecReader.Read("{\"ociVersion\":\"1.2.0\",\"vm\":{\"x\":1},\"process\":{\"args\":[\"a\"],\"future\":true}}"u8.ToArray());
        Assert.Equal(["a"], spec.Process!.Args);
    }
}

public sealed class RuntimeSpecReaderUnsupportedTests
{
    [Theory]
    [InlineData("{\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}}}", "linux.resources.hugepageLimits: not supported by this runtime yet")]
    [InlineData("{\"linux\":{\"resources\":{\"network\":{\"classID\":1}}}}", "linux.resources.network: not supported by this runtime yet")]
    [InlineData("{\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1}]}}}}", "linux.resources.blockIO.throttleReadBpsDevice: not supported by this runtime yet")]
    public void SettingsTheDriversCannotApplyAreRefusedByName(string json, string message)
    {
        var e = Assert.Throws<SpecValidationException>(() => RuntimeSpecReader.Read(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void EmptyUnsupportedSectionsAreFine()
    {
        var spec = RuntimeSpecReader.Read("{\"linux\":{\"resources\":{\"hugepageLimits\":[],\"blockIO\":{\"weight\":10,\"weightDevice\":[]}}}}"u8.ToArray());
        Assert.Equal((ushort)10, spec.Linux!.Resources!.BlockIO!.Weight);
    }
}
