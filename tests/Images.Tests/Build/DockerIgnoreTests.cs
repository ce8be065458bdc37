using ContainerConsole.Images.Build;

namespace ContainerConsole.Images.Tests.Build;

public sealed class DockerIgnoreTests
{
    [Fact]
    public void PatternsMatchLikeDocker()
    {
        var ignore = DockerIgnore.Parse("# comment\n\n*.log\n/build/\n./tmp/../cache\n**/node_modules\ndocs/?.md\n");
        Assert.True(ignore.IsExcluded("a.log"));
        Assert.False(ignore.IsExcluded("sub/a.log")); // '*' stays within one path element
        Assert.True(ignore.IsExcluded("build"));
        Assert.True(ignore.IsExcluded("build/out/x.o")); // below an excluded directory
        Assert.True(ignore.IsExcluded("cache/x")); // the pattern is path-cleaned
        Assert.False(ignore.IsExcluded("tmp/cache"));
        Assert.True(ignore.IsExcluded("node_modules/x"));
        Assert.True(ignore.IsExcluded("a/b/node_modules/y"));
        Assert.True(ignore.IsExcluded("docs/a.md"));
        Assert.False(ignore.IsExcluded("docs/ab.md"));
        Assert.False(ignore.IsExcluded("src/main.c"));
        Assert.False(ignore.IsExcluded("# comment"));
    }

    [Fact]
    public void LaterRulesWinAndExceptionsReinclude()
    {
        var ignore = DockerIgnore.Parse("*.md\n!README.md\nREADME-secret.md\n!keep/**\n");
        Assert.True(ignore.IsExcluded("CHANGES.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.True(ignore.IsExcluded("README-secret.md"));
        var reversed = DockerIgnore.Parse("!README.md\n*.md\n");
        Assert.True(reversed.IsExcluded("README.md"));
        var all = DockerIgnore.Parse("*\n!src\n");
        Assert.True(all.IsExcluded("Dockerfile"));
        Assert.False(all.IsExcluded("src"));
        Assert.False(all.IsExcluded("src/a.c"));
    }

    [Fact]
    public void DoubleStarSpansDirectories()
    {
        var ignore = DockerIgnore.Parse("a/**/z\n**/*.tmp\n");
        Assert.True(ignore.IsExcluded("a/z"));
        Assert.True(ignore.IsExcluded("a/b/c/z"));
        Assert.False(ignore.IsExcluded("b/z"));
        Assert.True(ignore.IsExcluded("x.tmp"));
        Assert.True(ignore.IsExcluded("d/e/x.tmp"));
    }

    [Fact]
    public void EmptyRulesExcludeNothing() => Assert.False(DockerIgnore.Parse("\n# only comments\n.\n").IsExcluded("anything"));
}
