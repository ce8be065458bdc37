using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;

namespace ContainerConsole.Images.Tests.Store;

public sealed class ReferenceAndChainTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io/library/busybox:latest")]
    [InlineData("index.docker.io/library/busybox:1", "docker.io/library/busybox:1")]
    [InlineData("user/app", "docker.io/user/app:latest")]
    [InlineData("myreg:5000/a/b:1", "myreg:5000/a/b:1")]
    [InlineData("myreg:5000/a/b", "myreg:5000/a/b:latest")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("ghcr.io/o/r:v1.2-rc_3", "ghcr.io/o/r:v1.2-rc_3")]
    [InlineData("x@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "docker.io/library/x@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    [InlineData("x:1@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "docker.io/library/x:1@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    public void Normalizes(string input, string expected) => Assert.Equal(expected, ImageReference.Normalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("BusyBox")]
    [InlineData("a/../b")]
    [InlineData("x@sha256:abc")]
    [InlineData("x:")]
    [InlineData("x:-bad")]
    [InlineData("a//b")]
    public void Rejects(string input) => Assert.False(ImageReference.TryParse(input, out _));

    [Fact]
    public void Tag_resolve_untag_persist_in_one_file()
    {
        var id1 = "sha256:" + new string('a', 64);
        var id2 = "sha256:" + "ab" + new string('c', 62);
        var store = new ReferenceStore(_dir.Path);
        Assert.Equal("docker.io/library/busybox:latest", store.Tag("busybox", id1));
        store.Tag("myreg:5000/a/b:1", id2);

        var reopened = new ReferenceStore(_dir.Path);
        Assert.Equal(id1, reopened.Resolve("docker.io/library/busybox:latest"));
        Assert.Equal(id1, reopened.Resolve("busybox"));
        Assert.Equal(id2, reopened.Resolve("myreg:5000/a/b:1"));
        Assert.Equal(id1, reopened.Resolve(id1));
        Assert.Equal(id2, reopened.Resolve("abcc"));
        Assert.Equal(id1, reopened.Resolve("sha256:aaaa"));
        Assert.Throws<InvalidOperationException>(() => reopened.Resolve("aaaa", ["sha256:aaaa" + new string('f', 60)]));
        Assert.Null(reopened.Resolve("nope"));
        Assert.Equal(2, reopened.List().Count);

        Assert.True(reopened.Untag("busybox:latest"));
        Assert.False(reopened.Untag("busybox:latest"));
        Assert.Null(new ReferenceStore(_dir.Path).Resolve("busybox"));
        Assert.Single(Directory.EnumerateFiles(_dir.Path));
    }

    [Fact]
    public void ChainId_follows_the_oci_spec()
    {
        const string d0 = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
        const string d1 = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
        Assert.Equal(d0, LayerStore.ChainId([d0]));
        var c1 = LayerStore.ChainId([d0, d1]);
        Assert.Equal(Digests.Of(d0 + " " + d1), c1);
        Assert.Equal(Digests.Of(c1 + " " + d0), LayerStore.ChainId([d0, d1, d0]));
        // Independently computed: printf '%s %s' d0 d1 | sha256sum
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(d0 + " " + d1))), c1);
    }
}
