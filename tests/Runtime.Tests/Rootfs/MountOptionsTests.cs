using ContainerConsole.Runtime.Rootfs;
using static ContainerConsole.Runtime.Plan.KernelConstants;

namespace ContainerConsole.Runtime.Tests.Rootfs;

public class MountOptionsTests
{
    private static MountOptions P(params string[] options) => MountOptions.Parse(options);

    [Fact]
    public void KernelConstantsAreTheX8664Abi()
    {
        Assert.Equal(1UL, MS_RDONLY);
        Assert.Equal(4096UL, MS_BIND);
        Assert.Equal(16384UL, MS_REC);
        Assert.Equal(0x40000UL, MS_PRIVATE);
        Assert.Equal(0x80000UL, MS_SLAVE);
        Assert.Equal(0x100000UL, MS_SHARED);
        Assert.Equal(0x20000UL, MS_UNBINDABLE);
        Assert.Equal(0x200000UL, MS_RELATIME);
        Assert.Equal(0x1000000UL, MS_STRICTATIME);
    }

    [Theory]
    [InlineData("ro", MS_RDONLY)]
    [InlineData("nosuid", MS_NOSUID)]
    [InlineData("nodev", MS_NODEV)]
    [InlineData("noexec", MS_NOEXEC)]
    [InlineData("sync", MS_SYNCHRONOUS)]
    [InlineData("dirsync", MS_DIRSYNC)]
    [InlineData("remount", MS_REMOUNT)]
    [InlineData("mand", MS_MANDLOCK)]
    [InlineData("noatime", MS_NOATIME)]
    [InlineData("nodiratime", MS_NODIRATIME)]
    [InlineData("bind", MS_BIND)]
    [InlineData("rbind", MS_BIND | MS_REC)]
    [InlineData("relatime", MS_RELATIME)]
    [InlineData("strictatime", MS_STRICTATIME)]
    [InlineData("silent", MS_SILENT)]
    public void SettingWordsSetTheirFlag(string word, ulong flag)
    {
        var o = P(word);
        Assert.Equal(flag, o.Flags);
        Assert.Equal(0UL, o.Propagation);
        Assert.Equal("", o.Data);
    }

    [Theory]
    [InlineData("ro", "rw", MS_RDONLY)]
    [InlineData("nosuid", "suid", MS_NOSUID)]
    [InlineData("nodev", "dev", MS_NODEV)]
    [InlineData("noexec", "exec", MS_NOEXEC)]
    [InlineData("sync", "async", MS_SYNCHRONOUS)]
    [InlineData("mand", "nomand", MS_MANDLOCK)]
    [InlineData("noatime", "atime", MS_NOATIME)]
    [InlineData("nodiratime", "diratime", MS_NODIRATIME)]
    [InlineData("relatime", "norelatime", MS_RELATIME)]
    [InlineData("strictatime", "nostrictatime", MS_STRICTATIME)]
    [InlineData("silent", "loud", MS_SILENT)]
    public void LaterWordWins(string set, string clear, ulong flag)
    {
        Assert.Equal(0UL, P(set, clear).Flags);
        Assert.Equal(flag, P(clear, set).Flags);
        // clearing leaves the other flags alone
        Assert.Equal(MS_DIRSYNC | MS_REMOUNT, P("dirsync", "remount", set, clear).Flags);
    }

    [Fact]
    public void RwAfterRoClearsOnlyReadOnly()
    {
        var o = P("ro", "nosuid", "rw", "nodev");
        Assert.Equal(MS_NOSUID | MS_NODEV, o.Flags);
    }

    [Fact]
    public void RbindIsRecursiveBind()
    {
        var o = P("rbind", "ro");
        Assert.True(o.IsBind);
        Assert.Equal(MS_BIND | MS_REC | MS_RDONLY, o.Flags);
        Assert.False(P("ro").IsBind);
    }

    [Theory]
    [InlineData("private", MS_PRIVATE)]
    [InlineData("rprivate", MS_PRIVATE | MS_REC)]
    [InlineData("shared", MS_SHARED)]
    [InlineData("rshared", MS_SHARED | MS_REC)]
    [InlineData("slave", MS_SLAVE)]
    [InlineData("rslave", MS_SLAVE | MS_REC)]
    [InlineData("unbindable", MS_UNBINDABLE)]
    [InlineData("runbindable", MS_UNBINDABLE | MS_REC)]
    public void PropagationWordsGoToPropagationNotFlags(string word, ulong expected)
    {
        var o = P("bind", word);
        Assert.Equal(expected, o.Propagation);
        Assert.Equal(MS_BIND, o.Flags);
        Assert.Equal(expected, MountOptions.ParsePropagation(word, "linux.rootfsPropagation"));
    }

    [Fact]
    public void LastPropagationWordWins() => Assert.Equal(MS_SLAVE | MS_REC, P("rshared", "rslave").Propagation);

    [Fact]
    public void UnknownWordsPassThroughAsDataInOrder()
    {
        var o = P("nosuid", "mode=755", "", "size=65536k", "strictatime", "newinstance", "gid=5");
        Assert.Equal(MS_NOSUID | MS_STRICTATIME, o.Flags);
        Assert.Equal("mode=755,size=65536k,newinstance,gid=5", o.Data);
    }

    [Fact]
    public void WordsAreCaseSensitiveLikeMount8()
    {
        // "RO" is not a flag word; mount(8) would hand it to the filesystem too.
        var o = P("RO");
        Assert.Equal(0UL, o.Flags);
        Assert.Equal("RO", o.Data);
    }

    [Fact]
    public void EmptyOptionsAreNothing() => Assert.Equal(new MountOptions(0, 0, ""), P());

    [Theory]
    [InlineData("")]
    [InlineData("rbind")]
    [InlineData("Shared")]
    [InlineData("rw")]
    public void ParsePropagationRejectsOtherWordsNamingTheField(string value)
    {
        var e = Assert.Throws<SpecValidationException>(() => MountOptions.ParsePropagation(value, "linux.rootfsPropagation"));
        Assert.Equal($"linux.rootfsPropagation: unknown propagation \"{value}\"", e.Message);
    }
}
