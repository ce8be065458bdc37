using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Security;

namespace ContainerConsole.Runtime.Tests.Security;

public class CapabilitySetTests
{
    [Theory]
    [InlineData("CAP_CHOWN", 0)]
    [InlineData("CAP_NET_RAW", 13)]
    [InlineData("CAP_SYS_ADMIN", 21)]
    [InlineData("CAP_SETFCAP", 31)]
    [InlineData("CAP_SYSLOG", 34)]
    [InlineData("CAP_PERFMON", 38)]
    [InlineData("CAP_BPF", 39)]
    [InlineData("CAP_CHECKPOINT_RESTORE", 40)]
    public void KnowsKernelNumbers(string name, int number)
    {
        Assert.Equal(number, CapabilitySet.TryGetNumber(name));
        Assert.Equal(name, CapabilitySet.NameOf(number));
    }

    [Fact]
    public void TableIsDenseAndComplete()
    {
        Assert.Equal(41, CapabilitySet.All.Count);
        for (var n = 0; n < CapabilitySet.All.Count; n++)
            Assert.Equal(n, CapabilitySet.TryGetNumber(CapabilitySet.All[n]));
        Assert.Null(CapabilitySet.NameOf(41));
        Assert.Null(CapabilitySet.NameOf(-1));
    }

    [Theory]
    [InlineData("sys_admin")]
    [InlineData("SYS_ADMIN")]
    [InlineData("cap_sys_admin")]
    [InlineData("Cap_Sys_Admin")]
    [InlineData(" CAP_SYS_ADMIN ")]
    public void AcceptsDockerStyleNames(string name)
    {
        Assert.Equal("CAP_SYS_ADMIN", CapabilitySet.Normalize(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("CAP_")]
    [InlineData("CAP_FOO")]
    [InlineData("ALL")]
    public void RejectsNonCapabilities(string name)
    {
        Assert.Null(CapabilitySet.Normalize(name));
    }

    [Fact]
    public void MaskOfDockerDefault()
    {
        // CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, SETPCAP 8,
        // NET_BIND_SERVICE 10, NET_RAW 13, SYS_CHROOT 18, MKNOD 27, AUDIT_WRITE 29, SETFCAP 31
        const ulong expected = 0xA80425FBUL;
        Assert.Equal(expected, CapabilitySet.ToMask(CapabilitySet.DockerDefault, "process.capabilities.bounding"));
        Assert.Equal(14, CapabilitySet.DockerDefault.Count);
        Assert.Equal(CapabilitySet.DockerDefault.OrderBy(c => CapabilitySet.TryGetNumber(c)), CapabilitySet.FromMask(expected));
    }

    [Fact]
    public void MaskOfEmptyAndDuplicates()
    {
        Assert.Equal(0UL, CapabilitySet.ToMask([], "f"));
        Assert.Equal(1UL << 21, CapabilitySet.ToMask(["CAP_SYS_ADMIN", "sys_admin"], "f"));
    }

    [Fact]
    public void UnknownCapabilityNamesTheField()
    {
        var e = Assert.Throws<SpecValidationException>(() =>
            CapabilitySet.ToMask(["CAP_CHOWN", "CAP_FOO"], "process.capabilities.bounding"));
        Assert.Equal("process.capabilities.bounding: unknown capability \"CAP_FOO\"", e.Message);
    }

    [Fact]
    public void CapsBeyondTheKernelAreLeftOut()
    {
        // A kernel without CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE (before 5.8) has cap_last_cap 37.
        var mask = CapabilitySet.ToMask(["CAP_AUDIT_READ", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"], "f", lastCap: 37);
        Assert.Equal(1UL << 37, mask);
    }

    [Fact]
    public void FullMaskNeverExceedsLastCap()
    {
        var mask = CapabilitySet.ToMask(CapabilitySet.All, "f");
        Assert.Equal(ulong.MaxValue >> (63 - CapabilitySet.LastCap), mask);
    }

    [Fact]
    public void LastCapMatchesTheKernel()
    {
        var text = File.Exists("/proc/sys/kernel/cap_last_cap") ? File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim() : null;
        var expected = text is null ? CapabilitySet.MaxKnown : Math.Min(int.Parse(text), CapabilitySet.MaxKnown);
        Assert.Equal(expected, CapabilitySet.LastCap);
    }

    [Fact]
    public void LastCapFallsBackWithoutProc()
    {
        Assert.Equal(CapabilitySet.MaxKnown, CapabilitySet.ReadLastCap("/nonexistent/cap_last_cap"));

        var dir = Directory.CreateTempSubdirectory("caps");
        try
        {
            var file = Path.Combine(dir.FullName, "cap_last_cap");
            File.WriteAllText(file, "37\n");
            Assert.Equal(37, CapabilitySet.ReadLastCap(file));
            File.WriteAllText(file, "63\n");
            Assert.Equal(CapabilitySet.MaxKnown, CapabilitySet.ReadLastCap(file));
            File.WriteAllText(file, "garbage\n");
            Assert.Equal(CapabilitySet.MaxKnown, CapabilitySet.ReadLastCap(file));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
