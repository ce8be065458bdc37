using System.Text;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;

namespace ContainerConsole.Images.Tests.Store;

public sealed class ContentStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Writes_verifies_opens_and_deletes()
    {
        var store = new ContentStore(_dir.Path);
        var data = Encoding.UTF8.GetBytes("hello");
        const string digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

        var blob = await store.WriteAsync(new MemoryStream(data), digest, CancellationToken.None);

        Assert.Equal(new StoredBlob(digest, 5), blob);
        Assert.True(store.Exists(digest));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "blobs", "sha256", digest[7..])));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "oci-layout")));
        using (var s = store.Open(digest))
        {
            Assert.Equal(data, new BinaryReader(s).ReadBytes(10));
        }

        Assert.True(store.Delete(digest));
        Assert.False(store.Exists(digest));
    }

    [Fact]
    public async Task Digest_mismatch_throws_and_removes_temp()
    {
        var store = new ContentStore(_dir.Path);
        var wrong = "sha256:" + new string('0', 64);
        var e = await Assert.ThrowsAsync<ImageFormatException>(() => store.WriteAsync(new MemoryStream([1, 2, 3]), wrong, CancellationToken.None));
        Assert.StartsWith($"digest mismatch: expected {wrong}, got sha256:", e.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "blobs", "sha256")));
    }

    [Theory]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("sha512:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    [InlineData("sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824")]
    [InlineData("sha256:2cf24dba")]
    [InlineData("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    [InlineData("")]
    public async Task Invalid_digests_are_rejected(string digest)
    {
        var store = new ContentStore(_dir.Path);
        Assert.False(store.Exists(digest));
        Assert.Throws<ImageFormatException>(() => store.PathOf(digest));
        await Assert.ThrowsAsync<ImageFormatException>(() => store.WriteAsync(new MemoryStream([1]), digest, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "blobs", "sha256")));
    }

    [Fact]
    public async Task Adopts_a_staged_file_by_link_after_verifying_it()
    {
        var store = new ContentStore(_dir.Path);
        var staged = Path.Combine(_dir.Path, "staged");
        await File.WriteAllTextAsync(staged, "hello");
        const string digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

        var (blob, created) = await store.AdoptAsync(staged, digest, 5, CancellationToken.None);

        Assert.Equal(new StoredBlob(digest, 5), blob);
        Assert.True(created);
        Assert.True(File.Exists(staged)); // other names for the staged file stay valid
        File.Delete(staged);
        Assert.Equal("hello", await File.ReadAllTextAsync(store.PathOf(digest)));
        await File.WriteAllTextAsync(staged, "hello");
        Assert.False((await store.AdoptAsync(staged, null, null, CancellationToken.None)).Created);
    }

    [Fact]
    public async Task Adopting_a_file_that_does_not_match_its_digest_or_size_stores_nothing()
    {
        var store = new ContentStore(_dir.Path);
        var staged = Path.Combine(_dir.Path, "staged");
        await File.WriteAllTextAsync(staged, "tampered");
        const string digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

        var e = await Assert.ThrowsAsync<ImageFormatException>(() => store.AdoptAsync(staged, digest, null, CancellationToken.None));
        Assert.Contains("digest mismatch", e.Message);
        var size = await Assert.ThrowsAsync<ImageFormatException>(() => store.AdoptAsync(staged, null, 3, CancellationToken.None));
        Assert.Contains("size mismatch", size.Message);
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir.Path, "blobs", "sha256")));
    }
}
