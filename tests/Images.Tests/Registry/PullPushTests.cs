using System.Text;
using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Registry;
using ContainerConsole.Images.Tests.TestSupport;
using static ContainerConsole.Images.Tests.TestSupport.ImageArchiveBuilder;

namespace ContainerConsole.Images.Tests.Registry;

public sealed class PullPushTests : RegistryTestBase
{
    private const string Repo = "team/app";
    private static readonly string Ref = $"{FakeRegistry.Host}/{Repo}:1";

    [Fact]
    public async Task PullStoresVerifiedImageTagAndRepoDigest()
    {
        var registry = new FakeRegistry();
        var config = Config([Base.DiffId, App.DiffId], "app");
        var digest = registry.AddImage(Repo, "1", config, [Base, App], MediaTypes.DockerManifest);
        var progress = NewProgress();

        var id = await Distribution(registry).PullAsync(Ref, null, progress, CancellationToken.None);

        Assert.Equal(TestLayer.Sha(config), id);
        var image = Store.Inspect(Ref);
        Assert.Equal(id, image.Id);
        Assert.Equal([$"{FakeRegistry.Host}/{Repo}@{digest}"], image.RepoDigests);
        Assert.Equal([Base.DiffId, App.DiffId], image.DiffIds);
        Assert.Equal(0, Unpacker.FromStoredBlobs); // unpacked while downloading, not read back from the store
        Assert.Empty(Directory.EnumerateFileSystemEntries(Store.Root, "*.tmp*", SearchOption.AllDirectories));
        Assert.Contains($"{Base.Digest[7..19]}: Pull complete", progress.Statuses);
        Assert.Contains($"Digest: {digest}", progress.Statuses);
        Assert.Equal($"Status: Downloaded newer image for {Ref}", progress.Statuses.Last());
        Assert.Contains(registry.Requests, r => r.Headers.Accept.Any(a => a.MediaType == MediaTypes.OciIndex)
            && r.Headers.Accept.Any(a => a.MediaType == MediaTypes.DockerManifestList) && r.Headers.Accept.Any(a => a.MediaType == MediaTypes.DockerManifest));

        var again = NewProgress();
        await Distribution(registry).PullAsync(Ref, null, again, CancellationToken.None);
        Assert.Equal($"Status: Image is up to date for {Ref}", again.Statuses.Last());
        Assert.Equal(1, registry.Count("GET", $"/blobs/{App.Digest}"));
    }

    [Fact]
    public async Task IndexPullPicksTheHostPlatformAndRecordsTheIndexDigest()
    {
        var registry = new FakeRegistry();
        var amd64 = Config([App.DiffId], "amd64");
        var arm64 = Config([Other.DiffId], "arm64");
        var amdDigest = registry.AddImage(Repo, "amd", amd64, [App]);
        var armDigest = registry.AddImage(Repo, "arm", arm64, [Other]);
        var index = OciJson.Serialize(new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests =
            [
                new Descriptor { MediaType = MediaTypes.OciManifest, Digest = armDigest, Size = 1, Platform = new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" } },
                new Descriptor { MediaType = MediaTypes.OciManifest, Digest = amdDigest, Size = 1, Platform = new Platform { Os = "linux", Architecture = "amd64" } },
            ],
        }, OciJsonContext.Default.ImageIndex);
        var indexDigest = registry.AddManifest(Repo, "1", index, MediaTypes.OciIndex);

        var id = await new ImageDistribution(Store, new RegistryEndpoints(new RegistryOptions()), Credentials, _ => registry)
        {
            Platform = new PlatformSelector("linux", "amd64", null),
        }.PullAsync(Ref, null, NewProgress(), CancellationToken.None);

        Assert.Equal(TestLayer.Sha(amd64), id);
        Assert.Equal([$"{FakeRegistry.Host}/{Repo}@{indexDigest}"], Store.Inspect(Ref).RepoDigests);
        Assert.Equal(0, registry.Count("GET", $"/blobs/{Other.Digest}"));
    }

    [Fact]
    public async Task ManifestDigestMismatchIsRejectedAndNothingIsStored()
    {
        var registry = new FakeRegistry();
        var config = Config([App.DiffId]);
        registry.AddImage(Repo, "1", config, [App]);
        var forged = "sha256:" + new string('e', 64);
        registry.AddManifest(Repo, forged, FakeRegistry.Manifest(config, [App]), MediaTypes.OciManifest);

        var e = await Assert.ThrowsAsync<ImageFormatException>(() =>
            Distribution(registry).PullAsync($"{FakeRegistry.Host}/{Repo}@{forged}", null, NewProgress(), CancellationToken.None));
        Assert.Contains("manifest digest mismatch", e.Message);
        AssertStoreEmpty();
    }

    [Fact]
    public async Task TamperedLayerIsRejectedAndEverythingIsRolledBack()
    {
        var registry = new FakeRegistry();
        registry.AddImage(Repo, "1", Config([Base.DiffId, App.DiffId]), [Base, App]);
        registry.TamperedBlobs[App.Digest] = Encoding.UTF8.GetBytes(new string('x', App.Blob.Length));

        var e = await Assert.ThrowsAsync<ImageFormatException>(() => Distribution(registry).PullAsync(Ref, null, NewProgress(), CancellationToken.None));
        Assert.Contains("digest mismatch", e.Message);
        Assert.Contains(App.Digest, e.Message);
        AssertStoreEmpty();
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Store.Root, "layers")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BrokenDownloadResumesWithARangeRequest(bool serverIgnoresRange)
    {
        var registry = new FakeRegistry { IgnoreRange = serverIgnoresRange };
        var big = TestLayer.Create(gzip: false, ("data/big", new string('z', 300_000)));
        registry.AddImage(Repo, "1", Config([big.DiffId]), [big]);
        registry.TruncateOnce[big.Digest] = 100_000;

        await Distribution(registry).PullAsync(Ref, null, NewProgress(), CancellationToken.None);

        var gets = registry.Requests.Where(r => r.Method == HttpMethod.Get && r.RequestUri!.AbsolutePath.EndsWith(big.Digest, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Headers.Range);
        Assert.Equal(100_000, gets[1].Headers.Range!.Ranges.Single().From);
        Assert.Equal(big.Blob, Store.Content.ReadAllBytes(big.Digest));
    }

    [Fact]
    public async Task BlobsAndLayersAlreadyStoredAreNotFetched()
    {
        var registry = new FakeRegistry();
        registry.AddImage(Repo, "1", Config([Base.DiffId, App.DiffId], "one"), [Base, App]);
        registry.AddImage(Repo, "2", Config([Base.DiffId, Other.DiffId], "two"), [Base, Other]);
        var dist = Distribution(registry);
        await dist.PullAsync(Ref, null, NewProgress(), CancellationToken.None);

        var progress = NewProgress();
        await dist.PullAsync($"{FakeRegistry.Host}/{Repo}:2", null, progress, CancellationToken.None);

        Assert.Equal(1, registry.Count("GET", $"/blobs/{Base.Digest}"));
        Assert.Equal(1, registry.Count("GET", $"/blobs/{Other.Digest}"));
        Assert.Contains($"{Base.Digest[7..19]}: Already exists", progress.Statuses);
    }

    [Fact]
    public async Task UnknownTagIsAClear404()
    {
        var registry = new FakeRegistry();
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            Distribution(registry).PullAsync($"{FakeRegistry.Host}/{Repo}:nope", null, NewProgress(), CancellationToken.None));
        Assert.Equal(404, e.Status);
        Assert.Equal($"manifest for {FakeRegistry.Host}/{Repo}:nope not found: manifest unknown: manifest unknown", e.Message);
        AssertStoreEmpty();
    }

    [Fact]
    public async Task BasicAuthUsesStoredCredentialsAndRejectsWrongOnes()
    {
        var registry = new FakeRegistry { Auth = "basic" };
        registry.AddImage(Repo, "1", Config([App.DiffId]), [App]);

        var anonymous = await Assert.ThrowsAsync<RegistryException>(() => Distribution(registry).PullAsync(Ref, null, NewProgress(), CancellationToken.None));
        Assert.Equal(401, anonymous.Status);
        Assert.Contains("authentication required", anonymous.Message);

        var wrong = await Assert.ThrowsAsync<RegistryException>(() => Distribution(registry).LoginAsync(
            new RegistryCredentials { Username = "alice", Password = "nope", ServerAddress = FakeRegistry.Host }, CancellationToken.None));
        Assert.Equal(401, wrong.Status);
        Assert.Contains("incorrect username or password", wrong.Message);
        Assert.Null(Credentials.Get(FakeRegistry.Host));

        await Distribution(registry).LoginAsync(new RegistryCredentials { Username = "alice", Password = "secret", ServerAddress = FakeRegistry.Host }, CancellationToken.None);
        await Distribution(registry).PullAsync(Ref, null, NewProgress(), CancellationToken.None);
        Assert.All(registry.Requests.Where(r => r.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal)),
            r => Assert.Equal("Basic", r.Headers.Authorization?.Scheme));
        AssertStoreHas(Ref);
    }

    [Theory]
    [InlineData("access_token")]
    [InlineData("token")]
    public async Task BearerTokenIsFetchedWithBasicCredentialsAndCachedPerScope(string tokenField)
    {
        var registry = new FakeRegistry { Auth = "bearer", TokenField = tokenField };
        registry.AddImage(Repo, "1", Config([Base.DiffId, App.DiffId]), [Base, App]);

        await Distribution(registry).PullAsync(Ref, new RegistryCredentials { Username = "alice", Password = "secret" }, NewProgress(), CancellationToken.None);

        Assert.Equal(1, registry.TokenRequests); // manifest, config and two layers share one pull scope
        var token = registry.Requests.Single(r => r.RequestUri!.Host == "auth.test");
        Assert.Contains("service=fake-registry", token.RequestUri!.Query);
        Assert.Contains("scope=repository%3Ateam%2Fapp%3Apull", token.RequestUri.Query);
        Assert.Equal("Basic", token.Headers.Authorization!.Scheme);
        Assert.All(registry.Requests.Where(r => r.RequestUri!.AbsolutePath.Contains("/blobs/", StringComparison.Ordinal)),
            r => Assert.Equal("Bearer", r.Headers.Authorization?.Scheme));
        AssertStoreHas(Ref);

        var refused = await Assert.ThrowsAsync<RegistryException>(() => Distribution(registry)
            .PullAsync($"{FakeRegistry.Host}/{Repo}:1", new RegistryCredentials { Username = "alice", Password = "bad" }, NewProgress(), CancellationToken.None));
        Assert.Equal(401, refused.Status);
    }

    [Fact]
    public async Task PushUploadsMissingBlobsAndMountsBlobsKnownInAnotherRepository()
    {
        var registry = new FakeRegistry();
        registry.AddImage("source/base", "1", Config([Base.DiffId], "base"), [Base]);
        var dist = Distribution(registry, chunkSize: 64); // forces chunked PATCH uploads
        await dist.PullAsync($"{FakeRegistry.Host}/source/base:1", null, NewProgress(), CancellationToken.None);
        await Store.LoadAsync(new MemoryStream(DockerSave(new DockerImage(Config([Base.DiffId, App.DiffId], "app"), [Base, App], [Ref]))), null, CancellationToken.None);

        var progress = NewProgress();
        var results = await dist.PushAsync($"{FakeRegistry.Host}/{Repo}", "1", null, progress, CancellationToken.None);

        var pushed = Assert.Single(results);
        Assert.Equal(Store.Inspect(Ref).ManifestDigest, pushed.Digest);
        Assert.True(registry.HasManifest(Repo, pushed.Digest));
        Assert.Equal(1, registry.Count("POST", $"mount={Uri.EscapeDataString(Base.Digest)}&from=source%2Fbase"));
        Assert.True(registry.Count("PATCH", Repo) > 1);
        Assert.True(registry.RepoHasBlob(Repo, Base.Digest));
        Assert.True(registry.RepoHasBlob(Repo, App.Digest));
        Assert.Contains($"{Base.DiffId[7..19]}: Mounted from source/base", progress.Statuses);
        Assert.Contains($"{App.DiffId[7..19]}: Pushed", progress.Statuses);
        Assert.Contains($"1: digest: {pushed.Digest} size: {pushed.Size}", progress.Statuses);
        Assert.Contains($"{FakeRegistry.Host}/{Repo}@{pushed.Digest}", Store.Inspect(Ref).RepoDigests);

        var again = NewProgress();
        await dist.PushAsync($"{FakeRegistry.Host}/{Repo}", null, null, again, CancellationToken.None); // every tag of the repository
        Assert.Contains($"{App.DiffId[7..19]}: Layer already exists", again.Statuses);
    }

    [Fact]
    public async Task PushOfAnUnknownTagSaysSo()
    {
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            Distribution(new FakeRegistry()).PushAsync($"{FakeRegistry.Host}/{Repo}", "9", null, NewProgress(), CancellationToken.None));
        Assert.Equal(404, e.Status);
        Assert.Equal($"An image does not exist locally with the tag: {FakeRegistry.Host}/{Repo}", e.Message);
    }

    private void AssertStoreHas(string reference) => Assert.NotNull(Store.Resolve(reference));
}
