using ContainerConsole.Runtime.Rootfs;
using ContainerConsole.Runtime.Tests.TestSupport;

namespace ContainerConsole.Runtime.Tests.Rootfs;

public class RootfsPathTests : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private readonly string _root;

    public RootfsPathTests()
    {
        _root = _tmp.CreateDirectory("rootfs");
        _tmp.WriteFile("rootfs/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        _tmp.CreateDirectory("rootfs/a/b/c");
        _tmp.WriteFile("host-secret", "outside");
        _tmp.WriteExecutable("outside-bin/tool");
    }

    public void Dispose() => _tmp.Dispose();

    private string InRoot(string relative) => _root + "/" + relative;

    [Theory]
    [InlineData("/", "")]
    [InlineData("", "")]
    [InlineData("/etc", "etc")]
    [InlineData("/etc/passwd", "etc/passwd")]
    [InlineData("etc//passwd", "etc/passwd")]
    [InlineData("/./etc/./passwd", "etc/passwd")]
    [InlineData("/a/b/../b/c", "a/b/c")]
    [InlineData("/..", "")]
    [InlineData("/../../../etc/passwd", "etc/passwd")]
    [InlineData("/a/../../../../etc", "etc")]
    public void PlainPathsAndDotDotStayInside(string containerPath, string expected) =>
        Assert.Equal(expected == "" ? _root : InRoot(expected), RootfsPath.Resolve(_root, containerPath));

    [Fact]
    public void TrailingSlashOnRootfsIsIgnored() =>
        Assert.Equal(InRoot("etc/passwd"), RootfsPath.Resolve(_root + "/", "/etc/passwd"));

    [Fact]
    public void AbsoluteSymlinkResolvesInsideTheRootfs()
    {
        _tmp.Symlink("rootfs/a/etc-link", "/etc");
        Assert.Equal(InRoot("etc"), RootfsPath.Resolve(_root, "/a/etc-link"));
        Assert.Equal(InRoot("etc/passwd"), RootfsPath.Resolve(_root, "/a/etc-link/passwd"));
    }

    [Fact]
    public void AbsoluteSymlinkToAHostPathDoesNotReachTheHost()
    {
        // The target exists on the host but not inside the rootfs.
        _tmp.Symlink("rootfs/secret", _tmp["host-secret"]);
        Assert.Null(RootfsPath.Resolve(_root, "/secret"));
    }

    [Fact]
    public void RelativeSymlinkResolvesFromItsDirectory()
    {
        _tmp.Symlink("rootfs/a/b/up", "../../etc/passwd");
        Assert.Equal(InRoot("etc/passwd"), RootfsPath.Resolve(_root, "/a/b/up"));
    }

    [Fact]
    public void DotDotInSymlinkClampsAtTheRoot()
    {
        _tmp.Symlink("rootfs/a/escape", "../../../../../../host-secret");
        _tmp.Symlink("rootfs/a/escape-etc", "../../../../../../etc");
        Assert.Null(RootfsPath.Resolve(_root, "/a/escape"));
        Assert.Equal(InRoot("etc"), RootfsPath.Resolve(_root, "/a/escape-etc"));
    }

    [Fact]
    public void ChainedSymlinksResolve()
    {
        _tmp.Symlink("rootfs/l1", "l2");
        _tmp.Symlink("rootfs/l2", "/a/l3");
        _tmp.Symlink("rootfs/a/l3", "b/c");
        Assert.Equal(InRoot("a/b/c"), RootfsPath.Resolve(_root, "/l1"));
    }

    [Fact]
    public void SymlinkLoopThrows()
    {
        _tmp.Symlink("rootfs/loop1", "loop2");
        _tmp.Symlink("rootfs/loop2", "/loop1");
        var e = Assert.Throws<SpecValidationException>(() => RootfsPath.Resolve(_root, "/loop1/x"));
        Assert.Contains("too many levels of symbolic links", e.Message);
        Assert.Contains("/loop1/x", e.Message);
    }

    [Fact]
    public void SelfLinkThrows()
    {
        _tmp.Symlink("rootfs/self", "self");
        Assert.Throws<SpecValidationException>(() => RootfsPath.Resolve(_root, "/self"));
    }

    [Theory]
    [InlineData("/missing")]
    [InlineData("/etc/missing")]
    [InlineData("/missing/etc/passwd")]
    [InlineData("/a/b/c/d")]
    public void MissingComponentReturnsNull(string containerPath) => Assert.Null(RootfsPath.Resolve(_root, containerPath));

    [Fact]
    public void DanglingSymlinkReturnsNull()
    {
        _tmp.Symlink("rootfs/dangling", "/nowhere");
        Assert.Null(RootfsPath.Resolve(_root, "/dangling"));
        Assert.Null(RootfsPath.Resolve(_root, "/dangling/file"));
    }

    private static readonly string[] PathEnv = ["TERM=xterm", "PATH=/usr/local/bin:/usr/bin:/bin"];

    [Fact]
    public void FindExecutableSearchesPathInOrder()
    {
        _tmp.WriteExecutable("rootfs/bin/sh");
        Assert.Equal("/bin/sh", RootfsPath.FindExecutable(_root, "sh", PathEnv, "/"));
        _tmp.WriteExecutable("rootfs/usr/bin/sh");
        Assert.Equal("/usr/bin/sh", RootfsPath.FindExecutable(_root, "sh", PathEnv, "/"));
    }

    [Fact]
    public void FindExecutableSkipsNonExecutablesAndDirectories()
    {
        _tmp.WriteFile("rootfs/usr/local/bin/tool", "data");
        _tmp.CreateDirectory("rootfs/usr/bin/tool");
        _tmp.WriteExecutable("rootfs/bin/tool");
        Assert.Equal("/bin/tool", RootfsPath.FindExecutable(_root, "tool", PathEnv, "/"));
    }

    [Fact]
    public void FindExecutableUsesTheLastPathVariable()
    {
        _tmp.WriteExecutable("rootfs/opt/one/app");
        _tmp.WriteExecutable("rootfs/opt/two/app");
        string[] env = ["PATH=/opt/one", "PATH=/opt/two"];
        Assert.Equal("/opt/two/app", RootfsPath.FindExecutable(_root, "app", env, "/"));
    }

    [Fact]
    public void FindExecutableWithoutPathUsesTheDefault()
    {
        _tmp.WriteExecutable("rootfs/usr/sbin/daemon");
        Assert.Equal("/usr/sbin/daemon", RootfsPath.FindExecutable(_root, "daemon", ["HOME=/root"], "/"));
    }

    [Fact]
    public void EmptyPathElementMeansTheWorkingDirectory()
    {
        _tmp.WriteExecutable("rootfs/work/run");
        Assert.Equal("/work/run", RootfsPath.FindExecutable(_root, "run", ["PATH=/bin::/usr/bin"], "/work"));
    }

    [Fact]
    public void FindExecutableFollowsSymlinksInsideTheRootfs()
    {
        _tmp.WriteExecutable("rootfs/usr/bin/busybox");
        _tmp.Symlink("rootfs/bin/ls", "/usr/bin/busybox");
        Assert.Equal("/bin/ls", RootfsPath.FindExecutable(_root, "ls", ["PATH=/bin"], "/"));
        Assert.Equal("/bin/ls", RootfsPath.FindExecutable(_root, "/bin/ls", [], "/"));
    }

    [Fact]
    public void FindExecutableDoesNotFindHostBinariesThroughSymlinks()
    {
        _tmp.Symlink("rootfs/bin", _tmp["outside-bin"]);
        var e = Assert.Throws<SpecValidationException>(() => RootfsPath.FindExecutable(_root, "tool", ["PATH=/bin"], "/"));
        Assert.Equal("exec: \"tool\": executable file not found in $PATH", e.Message);
    }

    [Fact]
    public void RelativePathWithSlashIsResolvedAgainstCwd()
    {
        _tmp.WriteExecutable("rootfs/app/scripts/start.sh");
        Assert.Equal("/app/scripts/start.sh", RootfsPath.FindExecutable(_root, "scripts/start.sh", PathEnv, "/app"));
        Assert.Equal("/app/./scripts/start.sh", RootfsPath.FindExecutable(_root, "./scripts/start.sh", PathEnv, "/app/"));
        Assert.Equal("/app/scripts/start.sh", RootfsPath.FindExecutable(_root, "app/scripts/start.sh", PathEnv, "/"));
    }

    [Fact]
    public void NonExecutableFileIsPermissionDenied()
    {
        _tmp.WriteFile("rootfs/bin/data", "x", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var e = Assert.Throws<SpecValidationException>(() => RootfsPath.FindExecutable(_root, "/bin/data", PathEnv, "/"));
        Assert.Equal("exec: \"/bin/data\": permission denied", e.Message);
    }

    [Fact]
    public void AnyExecuteBitCounts()
    {
        _tmp.WriteFile("rootfs/bin/other-x", "x", UnixFileMode.UserRead | UnixFileMode.OtherExecute);
        Assert.Equal("/bin/other-x", RootfsPath.FindExecutable(_root, "other-x", ["PATH=/bin"], "/"));
    }

    [Theory]
    [InlineData("/bin/nothere")]
    [InlineData("./nothere")]
    [InlineData("/etc")]
    public void MissingPathWithSlashIsNoSuchFile(string arg0)
    {
        var e = Assert.Throws<SpecValidationException>(() => RootfsPath.FindExecutable(_root, arg0, PathEnv, "/"));
        Assert.Equal($"exec: \"{arg0}\": stat {arg0}: no such file or directory", e.Message);
    }

    [Fact]
    public void MissingCommandUsesDockersWording()
    {
        var e = Assert.Throws<SpecValidationException>(() => RootfsPath.FindExecutable(_root, "x", PathEnv, "/"));
        Assert.Equal("exec: \"x\": executable file not found in $PATH", e.Message);
    }
}
