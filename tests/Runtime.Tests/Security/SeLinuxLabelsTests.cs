using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Security;

namespace ContainerConsole.Runtime.Tests.Security;

public class SeLinuxLabelsTests
{
    // ---- detection ----

    [Fact]
    public void ThisMachineHasNoSelinux()
    {
        var state = SeLinux.Detect();
        if (Directory.Exists("/sys/fs/selinux") && File.Exists("/sys/fs/selinux/enforce"))
            return;   // a host that does have SELinux
        Assert.False(state.Enabled);
        Assert.False(state.Enforcing);
        Assert.Null(state.MountPoint);
        Assert.Equal("disabled: no selinuxfs", state.Detail);
    }

    private sealed class FakeHost : IDisposable
    {
        public DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("selinux");
        public string MountInfo => Path.Combine(Dir.FullName, "mountinfo");
        public string Fs => Path.Combine(Dir.FullName, "sel inux");

        public FakeHost(string? enforce)
        {
            Directory.CreateDirectory(Fs);
            if (enforce is not null)
                File.WriteAllText(Path.Combine(Fs, "enforce"), enforce);
            File.WriteAllLines(MountInfo,
            [
                "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw",
                $"23 22 0:22 / {Fs.Replace(" ", "\\040")} rw,relatime shared:5 - selinuxfs selinuxfs rw",
                "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            ]);
        }

        public void Dispose() => Dir.Delete(recursive: true);
    }

    [Fact]
    public void EnforcingHost()
    {
        using var host = new FakeHost("1\n");
        var state = SeLinux.Detect(host.MountInfo);
        Assert.Equal(new SeLinuxState(true, true, host.Fs, "enforcing"), state);
    }

    [Fact]
    public void PermissiveHost()
    {
        using var host = new FakeHost("0");
        var state = SeLinux.Detect(host.MountInfo);
        Assert.True(state.Enabled);
        Assert.False(state.Enforcing);
        Assert.Equal("permissive", state.Detail);
    }

    [Fact]
    public void SelinuxfsWithoutEnforceFile()
    {
        using var host = new FakeHost(null);
        var state = SeLinux.Detect(host.MountInfo);
        Assert.False(state.Enabled);
        Assert.StartsWith("disabled: selinuxfs at", state.Detail);
    }

    [Fact]
    public void NoMountInfo()
    {
        var state = SeLinux.Detect("/nonexistent/mountinfo");
        Assert.False(state.Enabled);
        Assert.StartsWith("disabled: cannot read /nonexistent/mountinfo", state.Detail);
    }

    [Fact]
    public void PrefersTheStandardMountPoint()
    {
        Assert.Equal("/sys/fs/selinux", SeLinux.FindSelinuxfs(
        [
            "30 1 0:30 / /selinux rw - selinuxfs selinuxfs rw",
            "31 1 0:30 / /sys/fs/selinux rw shared:7 - selinuxfs selinuxfs rw",
        ]));
        Assert.Equal("/selinux", SeLinux.FindSelinuxfs(["30 1 0:30 / /selinux rw - selinuxfs selinuxfs rw"]));
        Assert.Null(SeLinux.FindSelinuxfs(["24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw", "garbage", ""]));
    }

    // ---- labels ----

    [Theory]
    [InlineData("system_u:system_r:container_t:s0:c1,c2", "system_u", "system_r", "container_t", "s0:c1,c2")]
    [InlineData("system_u:object_r:container_file_t:s0", "system_u", "object_r", "container_file_t", "s0")]
    [InlineData("unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "unconfined_u", "unconfined_r", "unconfined_t", "s0-s0:c0.c1023")]
    [InlineData("user_u:user_r:user_t", "user_u", "user_r", "user_t", "")]
    public void ParsesAndFormatsLabels(string text, string user, string role, string type, string level)
    {
        var label = SeLinuxLabel.Parse(text, "process.selinuxLabel");
        Assert.Equal(new SeLinuxLabel(user, role, type, level), label);
        Assert.Equal(text, label.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("container_t")]
    [InlineData("a:b")]
    [InlineData("a::c:s0")]
    [InlineData("a:b:c:")]
    [InlineData("a:b:c:s0:c1,x2")]
    [InlineData("a:b:c:s0:c1024")]
    [InlineData("a:b:c d:s0")]
    public void RejectsBadLabels(string text)
    {
        Assert.False(SeLinuxLabel.TryParse(text, out _));
        var e = Assert.Throws<SpecValidationException>(() => SeLinuxLabel.Parse(text, "process.selinuxLabel"));
        Assert.Equal($"process.selinuxLabel: invalid SELinux label \"{text}\" (want user:role:type:level)", e.Message);
    }

    [Theory]
    [InlineData("s0", true)]
    [InlineData("s0:c1,c2", true)]
    [InlineData("s0:c0.c1023", true)]
    [InlineData("s0-s0:c0.c1023", true)]
    [InlineData("s0:c1,c5.c9,c12", true)]
    [InlineData("s15:c1023", true)]
    [InlineData("", false)]
    [InlineData("x0", false)]
    [InlineData("s", false)]
    [InlineData("s0:", false)]
    [InlineData("s0:c", false)]
    [InlineData("s0:c1024", false)]
    [InlineData("s0:c1,,c2", false)]
    [InlineData("s0-s0-s0", false)]
    public void ValidatesLevels(string level, bool valid)
    {
        Assert.Equal(valid, McsAllocator.IsValidLevel(level));
    }

    // ---- MCS allocation ----

    [Fact]
    public void AllocatesDistinctOrderedPairs()
    {
        var mcs = new McsAllocator(random: new Random(1));
        var seen = new HashSet<string>();
        for (var i = 0; i < 2000; i++)
        {
            var level = mcs.Allocate();
            Assert.True(seen.Add(level), $"{level} handed out twice");
            Assert.True(McsAllocator.TryParsePair(level, out var pair));
            Assert.True(pair.A < pair.B && pair.B < 1024);
            Assert.Equal($"s0:c{pair.A},c{pair.B}", level);
            Assert.True(mcs.IsInUse(level));
        }
        Assert.Equal(2000, mcs.Count);
    }

    [Fact]
    public void SkipsPairsInUse()
    {
        // With 3 categories there are 3 pairs; two are taken by existing containers.
        var mcs = new McsAllocator(["s0:c0,c1", "system_u:object_r:container_file_t:s0:c2,c0", "s0-s0:c0.c1023", "junk"], categories: 3, random: new Random(7));
        Assert.Equal(2, mcs.Count);
        Assert.Equal("s0:c1,c2", mcs.Allocate());
        var e = Assert.Throws<InvalidOperationException>(() => mcs.Allocate());
        Assert.Equal("all 3 MCS category pairs are in use", e.Message);
    }

    [Fact]
    public void ExhaustsSmallSpaceCompletely()
    {
        var mcs = new McsAllocator(categories: 8, random: new Random(3));
        var levels = Enumerable.Range(0, 28).Select(_ => mcs.Allocate()).ToList();
        Assert.Equal(28, levels.Distinct().Count());
        Assert.Throws<InvalidOperationException>(() => mcs.Allocate());
    }

    [Fact]
    public void ReleaseMakesAPairAvailableAgain()
    {
        var mcs = new McsAllocator(categories: 2);
        Assert.Equal("s0:c0,c1", mcs.Allocate());
        Assert.True(mcs.Release("s0:c1,c0"));
        Assert.False(mcs.Release("s0:c0,c1"));
        Assert.False(mcs.IsInUse("s0:c0,c1"));
        Assert.Equal("s0:c0,c1", mcs.Allocate());
    }

    [Fact]
    public void ReserveReportsWhatItDid()
    {
        var mcs = new McsAllocator();
        Assert.True(mcs.Reserve("s0:c5,c9"));
        Assert.False(mcs.Reserve("s0:c9,c5"));
        Assert.False(mcs.Reserve("s0:c5,c5"));
        Assert.False(mcs.Reserve("s0"));
        Assert.False(mcs.Reserve("s0:c1,c2,c3"));
        Assert.Equal(1, mcs.Count);
    }

    [Fact]
    public void AllocatorIsThreadSafe()
    {
        var mcs = new McsAllocator();
        var levels = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4000, _ => levels.Add(mcs.Allocate()));
        Assert.Equal(4000, levels.Distinct().Count());
        Assert.Equal(4000, mcs.Count);
    }

    // ---- container label choice ----

    private static SeLinuxLabeler Labeler(McsAllocator mcs, bool enabled = true) => new(mcs, enabled);

    [Fact]
    public void DefaultContainerLabels()
    {
        var mcs = new McsAllocator(random: new Random(5));
        var labels = Labeler(mcs).Choose([]);
        var process = SeLinuxLabel.Parse(labels.ProcessLabel, "p");
        var mount = SeLinuxLabel.Parse(labels.MountLabel, "m");
        Assert.Equal(("system_u", "system_r", "container_t"), (process.User, process.Role, process.Type));
        Assert.Equal(("system_u", "object_r", "container_file_t"), (mount.User, mount.Role, mount.Type));
        Assert.Equal(process.Level, mount.Level);
        Assert.True(McsAllocator.TryParsePair(process.Level, out _));
        Assert.True(mcs.IsInUse(process.Level));
    }

    [Fact]
    public void TwoContainersGetDifferentCategories()
    {
        var labeler = Labeler(new McsAllocator());
        var a = labeler.Choose([]);
        var b = labeler.Choose([]);
        Assert.NotEqual(a.ProcessLabel, b.ProcessLabel);
        Assert.NotEqual(a.MountLabel, b.MountLabel);
    }

    [Fact]
    public void ReleaseFreesTheCategories()
    {
        var mcs = new McsAllocator();
        var labeler = Labeler(mcs);
        var labels = labeler.Choose([]);
        Assert.Equal(1, mcs.Count);
        labeler.Release(labels);
        Assert.Equal(0, mcs.Count);
        labeler.Release(ContainerLabels.None);
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("label=disable")]
    [InlineData("label:disable")]
    public void DisableTurnsLabellingOff(string option)
    {
        var mcs = new McsAllocator();
        var labels = Labeler(mcs).Choose([option]);
        Assert.Same(ContainerLabels.None, labels);
        Assert.True(labels.IsDisabled);
        Assert.Equal(0, mcs.Count);
    }

    [Fact]
    public void LevelOverride()
    {
        var mcs = new McsAllocator();
        var labels = Labeler(mcs).Choose(["label=level:s0:c1,c2"]);
        Assert.Equal("system_u:system_r:container_t:s0:c1,c2", labels.ProcessLabel);
        Assert.Equal("system_u:object_r:container_file_t:s0:c1,c2", labels.MountLabel);
        Assert.True(mcs.IsInUse("s0:c1,c2"));
        Assert.Equal(1, mcs.Count);
    }

    [Fact]
    public void TypeUserRoleAndFiletypeOverrides()
    {
        var labels = Labeler(new McsAllocator()).Choose(["label=type:spc_t", "label=user:user_u", "label=role:user_r", "label=filetype:my_file_t", "label=level:s0"]);
        Assert.Equal("user_u:user_r:spc_t:s0", labels.ProcessLabel);
        Assert.Equal("user_u:object_r:my_file_t:s0", labels.MountLabel);
    }

    [Fact]
    public void TypeOverrideKeepsAUniqueLevel()
    {
        var labels = Labeler(new McsAllocator()).Choose(["type:svirt_apache_t"]);
        var process = SeLinuxLabel.Parse(labels.ProcessLabel, "p");
        Assert.Equal("svirt_apache_t", process.Type);
        Assert.True(McsAllocator.TryParsePair(process.Level, out _));
        Assert.Equal("container_file_t", SeLinuxLabel.Parse(labels.MountLabel, "m").Type);
    }

    [Fact]
    public void DisabledHostGivesNoLabelsButStillValidates()
    {
        var mcs = new McsAllocator();
        var labeler = Labeler(mcs, enabled: false);
        Assert.False(labeler.Enabled);
        Assert.Same(ContainerLabels.None, labeler.Choose(["type:container_t"]));
        Assert.Equal(0, mcs.Count);
        Assert.Throws<SpecValidationException>(() => labeler.Choose(["bogus:x"]));
    }

    [Theory]
    [InlineData("label=bogus:x", "label: unknown option \"label=bogus:x\" (want disable, user:, role:, type:, filetype: or level:)")]
    [InlineData("nested", "label: unknown option \"nested\" (want disable, user:, role:, type:, filetype: or level:)")]
    [InlineData("type:", "label: invalid value in \"type:\"")]
    [InlineData("type:a b", "label: invalid value in \"type:a b\"")]
    [InlineData("user:", "label: invalid value in \"user:\"")]
    [InlineData("level:s0:c1,c2000", "label: invalid level in \"level:s0:c1,c2000\"")]
    [InlineData("label=level:", "label: invalid level in \"label=level:\"")]
    public void BadOptions(string option, string message)
    {
        var e = Assert.Throws<SpecValidationException>(() => Labeler(new McsAllocator()).Choose([option]));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void CustomBaseContexts()
    {
        var labeler = new SeLinuxLabeler(new McsAllocator(), enabled: true,
            SeLinuxLabel.Parse("system_u:system_r:svirt_lxc_net_t:s0", "process"),
            SeLinuxLabel.Parse("system_u:object_r:svirt_sandbox_file_t:s0", "file"));
        var labels = labeler.Choose(["level:s0:c3,c4"]);
        Assert.Equal("system_u:system_r:svirt_lxc_net_t:s0:c3,c4", labels.ProcessLabel);
        Assert.Equal("system_u:object_r:svirt_sandbox_file_t:s0:c3,c4", labels.MountLabel);
    }
}
