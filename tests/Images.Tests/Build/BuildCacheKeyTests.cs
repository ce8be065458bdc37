using ContainerConsole.Images.Build;

namespace ContainerConsole.Images.Tests.Build;

public sealed class BuildCacheKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cc-cachekey-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string rel, string content)
    {
        var path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void InstructionParentAndArgsAreInTheKey()
    {
        var key = BuildCacheKey.For("sha256:" + new string('a', 64), "RUN [\"true\"]");
        Assert.Equal(key, BuildCacheKey.For("sha256:" + new string('a', 64), "RUN [\"true\"]"));
        Assert.NotEqual(key, BuildCacheKey.For("sha256:" + new string('b', 64), "RUN [\"true\"]"));
        Assert.NotEqual(key, BuildCacheKey.For("sha256:" + new string('a', 64), "RUN [\"false\"]"));
        Assert.NotEqual(key, BuildCacheKey.For("sha256:" + new string('a', 64), "RUN [\"true\"]", [new("V", "1")]));
        Assert.NotEqual(BuildCacheKey.For(null, "x", [new("V", "1")]), BuildCacheKey.For(null, "x", [new("V", "2")]));
        Assert.StartsWith("sha256:", key);
    }

    [Fact]
    public void ContentHashFollowsTheCopiedFilesOnly()
    {
        var a = Write("src/a.txt", "one");
        Write("src/sub/b.txt", "two");
        var other = Write("other.txt", "x");
        var src = Path.Combine(_dir, "src");
        var before = BuildCacheKey.ContentHash([src]);
        Assert.Equal(before, BuildCacheKey.ContentHash([src]));

        File.WriteAllText(other, "changed elsewhere"); // not selected: no change
        File.SetLastWriteTimeUtc(a, DateTime.UtcNow.AddDays(-3)); // mtime alone: no change
        Assert.Equal(before, BuildCacheKey.ContentHash([src]));

        File.WriteAllText(a, "ONE");
        var changed = BuildCacheKey.ContentHash([src]);
        Assert.NotEqual(before, changed);
        File.WriteAllText(a, "one");
        Assert.Equal(before, BuildCacheKey.ContentHash([src]));

        File.SetUnixFileMode(a, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.NotEqual(before, BuildCacheKey.ContentHash([src])); // modes count
        File.SetUnixFileMode(a, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        File.Move(Path.Combine(src, "sub", "b.txt"), Path.Combine(src, "sub", "c.txt"));
        Assert.NotEqual(before, BuildCacheKey.ContentHash([src])); // paths count

        var step = BuildCacheKey.For(null, "COPY src /dst", null, before);
        Assert.NotEqual(step, BuildCacheKey.For(null, "COPY src /dst", null, BuildCacheKey.ContentHash([src])));
    }
}
