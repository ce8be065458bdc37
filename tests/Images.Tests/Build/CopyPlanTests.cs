using ContainerConsole.Images.Build;

namespace ContainerConsole.Images.Tests.Build;

public sealed class CopyPlanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cc-copyplan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Ctx => Path.Combine(_dir, "ctx");

    private void Write(string rel, string content)
    {
        var path = Path.Combine(Ctx, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Fact]
    public void GlobsAndDestinationRules()
    {
        Write("a.txt", "a");
        Write("b.txt", "b");
        Write("c.md", "c");
        Write("dir/x", "x");
        var plan = CopyPlan.Create(Ctx, ["*.txt"], "/dst/", isAdd: false, "COPY");
        Assert.Equal(["a.txt", "b.txt"], plan.SourcePaths.Select(Path.GetFileName));
        var err = Assert.Throws<BuildException>(() => CopyPlan.Create(Ctx, ["*.txt"], "/dst", isAdd: false, "COPY"));
        Assert.Contains("destination must be a directory and end with a /", err.Message);
        Assert.Contains("no source files were specified", Assert.Throws<BuildException>(() => CopyPlan.Create(Ctx, ["*.none"], "/d/", false, "COPY")).Message);
        Assert.Contains("file not found in build context", Assert.Throws<BuildException>(() => CopyPlan.Create(Ctx, ["missing"], "/d", false, "COPY")).Message);
        Assert.Contains("forbidden path outside the build context", Assert.Throws<BuildException>(() => CopyPlan.Create(Ctx, ["../x"], "/d", false, "COPY")).Message);
        Assert.Contains("no network access", Assert.Throws<BuildException>(() => CopyPlan.Create(Ctx, ["https://example.com/x"], "/d", true, "ADD")).Message);
    }

    [Fact]
    public void SymlinksResolveInsideTheRoot()
    {
        Write("real/file", "inside");
        File.CreateSymbolicLink(Path.Combine(Ctx, "abs"), "/real");
        File.CreateSymbolicLink(Path.Combine(Ctx, "up"), "../../../../etc");
        Assert.Equal(Path.Combine(Ctx, "real", "file"), CopyPlan.Resolve(Ctx, "abs/file", "COPY", "abs/file"));
        // a link that climbs out stops at the root, so /etc/passwd of the host is never reached
        Assert.Throws<BuildException>(() => CopyPlan.Resolve(Ctx, "up/passwd", "COPY", "up/passwd"));
    }

    [RequiresRootFact]
    public async Task ApplyCopiesFilesDirectoryContentsAndOwners()
    {
        Write("f.txt", "file");
        Write("tree/sub/g.txt", "g");
        var lower = Path.Combine(_dir, "lower");
        Directory.CreateDirectory(Path.Combine(lower, "existing"));
        var layer = Path.Combine(_dir, "layer");
        Directory.CreateDirectory(layer);
        await CopyPlan.Create(Ctx, ["f.txt"], "/existing", false, "COPY").ApplyAsync(layer, [lower], (1000, 1001), null, CancellationToken.None);
        await CopyPlan.Create(Ctx, ["tree"], "/t", false, "COPY").ApplyAsync(layer, [lower], null, 0x1C0, CancellationToken.None);
        await CopyPlan.Create(Ctx, ["f.txt"], "/renamed.txt", false, "COPY").ApplyAsync(layer, [lower], null, null, CancellationToken.None);
        Assert.Equal("file", File.ReadAllText(Path.Combine(layer, "existing", "f.txt"))); // existing dir: copied into
        Assert.Equal("g", File.ReadAllText(Path.Combine(layer, "t", "sub", "g.txt"))); // contents, not the dir itself
        Assert.Equal("file", File.ReadAllText(Path.Combine(layer, "renamed.txt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(layer, "t", "sub", "g.txt")));
        var owned = ContainerConsole.Images.Layers.Xattr.LStat(Path.Combine(layer, "existing", "f.txt"))!.Value;
        Assert.Equal((1000u, 1001u), (owned.Uid, owned.Gid));
        Assert.Equal(0u, ContainerConsole.Images.Layers.Xattr.LStat(Path.Combine(layer, "renamed.txt"))!.Value.Uid);
    }
}
