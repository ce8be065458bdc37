using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Registry;

namespace ContainerConsole.Images.Tests.Registry;

public sealed class PlatformSelectorTests
{
    private static Descriptor M(string digestChar, string os, string arch, string? variant = null) => new()
    {
        MediaType = MediaTypes.OciManifest,
        Digest = "sha256:" + new string(digestChar[0], 64),
        Size = 1,
        Platform = new Platform { Os = os, Architecture = arch, Variant = variant },
    };

    private static ImageIndex Index(params Descriptor[] m) => new() { MediaType = MediaTypes.OciIndex, Manifests = m };

    [Fact]
    public void PicksLinuxAmd64AmongSeveralPlatforms()
    {
        var index = Index(M("a", "linux", "arm64", "v8"), M("b", "windows", "amd64"), M("c", "linux", "amd64"), M("d", "linux", "arm", "v7"));
        Assert.Equal(new string('c', 64), new PlatformSelector("linux", "amd64", null).Select(index, "t").Digest[7..]);
    }

    [Fact]
    public void Arm64AcceptsMissingOrV8Variant()
    {
        var sel = new PlatformSelector("linux", "arm64", "v8");
        Assert.Equal(new string('a', 64), sel.Select(Index(M("a", "linux", "arm64")), "t").Digest[7..]);
        Assert.Equal(new string('b', 64), sel.Select(Index(M("a", "linux", "arm64"), M("b", "linux", "arm64", "v8")), "t").Digest[7..]);
    }

    [Fact]
    public void ArmTakesTheHighestVariantNotAboveOurs()
    {
        var sel = new PlatformSelector("linux", "arm", "v7");
        var index = Index(M("a", "linux", "arm", "v5"), M("b", "linux", "arm", "v6"), M("c", "linux", "arm", "v8"));
        Assert.Equal(new string('b', 64), sel.Select(index, "t").Digest[7..]);
    }

    [Fact]
    public void NoMatchNamesWhatWasOffered()
    {
        var e = Assert.Throws<ImageFormatException>(() =>
            new PlatformSelector("linux", "amd64", null).Select(Index(M("a", "linux", "arm64", "v8"), M("b", "linux", "amd64", "v3")), "x:1"));
        Assert.Contains("no matching manifest for linux/amd64", e.Message);
        Assert.Contains("linux/arm64/v8", e.Message);
    }

    [Fact]
    public void ParsesDockerPlatformStrings()
    {
        Assert.Equal(new PlatformSelector("linux", "arm64", "v8"), PlatformSelector.Parse("linux/arm64/v8"));
        Assert.Equal(new PlatformSelector("linux", "amd64", null), PlatformSelector.Parse("amd64"));
        Assert.Equal(new PlatformSelector("linux", "amd64", null), PlatformSelector.Parse("linux/x86_64"));
        Assert.Throws<ArgumentException>(() => PlatformSelector.Parse("a/b/c/d"));
    }
}
