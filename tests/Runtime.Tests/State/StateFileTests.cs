using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Tests.State;

public sealed class StateFileTests
{
    [Fact]
    public void RoundTripsTheRecordAndKeepsTheBundleJsonVerbatim()
    {
        var configJson = "{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"sleep\",\"1\"],\"cwd\":\"/\"},\"hostname\":\"h\"}"u8.ToArray();
        var record = new ContainerRecord
        {
            Id = "abc", Bundle = "/b", Rootfs = "/b/rootfs", InitPid = 42, InitStartTime = 123456789012, Started = true,
            Created = new DateTime(2026, 11, 29, 4, 12, 0, DateTimeKind.Utc), CgroupsPath = "/x/abc",
            Config = RuntimeSpecReader.Read(configJson), ConfigJson = configJson,
        };
        var read = StateFile.Read(StateFile.Write(record));
        Assert.Equal(("abc", "/b", "/b/rootfs", 42, 123456789012UL, true, record.Created, "/x/abc"),
            (read.Id, read.Bundle, read.Rootfs, read.InitPid, read.InitStartTime, read.Started, read.Created, read.CgroupsPath));
        Assert.Equal(configJson, read.ConfigJson);
        Assert.Equal("h", read.Config.Hostname);
    }

    [Fact]
    public void AChangedConfigIsSerializedFromTheModel()
    {
        var record = new ContainerRecord { Id = "a", Config = DefaultSpec.Create(), ConfigJson = null };
        record.Config.Hostname = "changed";
        Assert.Equal("changed", StateFile.Read(StateFile.Write(record)).Config.Hostname);
    }
}
