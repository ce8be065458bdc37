using System.Text;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;
using static ContainerConsole.Images.Tests.TestSupport.ImageArchiveBuilder;

namespace ContainerConsole.Images.Tests.Store;

public sealed class ImageStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeLayerUnpacker _unpacker = new();
    private readonly TestLayer _base = TestLayer.Create(gzip: true, ("etc/os-release", "ID=test\n"), ("bin/sh", "#!fake\n"));
    private readonly TestLayer _app = TestLayer.Create(gzip: false, ("app/run", "hello\n"));
    private readonly TestLayer _other = TestLayer.Create(gzip: false, ("srv/data", "other\n"));

    public void Dispose() => _dir.Dispose();

    private ImageStore NewStore(string sub = "store") => new(Path.Combine(_dir.Path, sub), _unpacker);

    private static Task<IReadOnlyList<string>> Load(ImageStore store, byte[] archive) =>
        store.LoadAsync(new MemoryStream(archive), null, CancellationToken.None);

    private byte[] TwoImagesDockerArchive(out string appId, out string otherId)
    {
        var appConfig = Config([_base.DiffId, _app.DiffId], "app");
        var otherConfig = Config([_base.DiffId, _other.DiffId], "other");
        appId = TestLayer.Sha(appConfig);
        otherId = TestLayer.Sha(otherConfig);
        return DockerSave(
            new DockerImage(appConfig, [_base, _app], ["app:1", "myreg:5000/team/app:1"]),
            new DockerImage(otherConfig, [_base, _other], ["other"]));
    }

    [Fact]
    public async Task Loads_docker_save_archive_and_shares_the_base_layer()
    {
        var store = NewStore();
        var archive = TwoImagesDockerArchive(out var appId, out var otherId);

        var loaded = await Load(store, archive);

        Assert.Equal(
            ["docker.io/library/app:1", "docker.io/library/other:latest", "myreg:5000/team/app:1"],
            loaded.Order(StringComparer.Ordinal));
        Assert.Equal(3, _unpacker.Calls); // base once, app, other
        Assert.Equal(3, store.Layers.List().Count());

        var app = store.Inspect("app:1");
        Assert.Equal(appId, app.Id);
        Assert.Equal(["docker.io/library/app:1", "myreg:5000/team/app:1"], app.RepoTags);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 34, 56, TimeSpan.Zero), app.Created!.Value.AddTicks(-app.Created.Value.Ticks % TimeSpan.TicksPerSecond));
        Assert.Equal(["app"], app.Config.Config!.Cmd);
        Assert.True(app.Size > 0);
        Assert.Equal(otherId, store.Inspect("other").Id);
        Assert.Equal(appId, store.Inspect(appId[7..19]).Id);
        Assert.Equal(appId, store.Inspect(appId).Id);
        Assert.Equal(2, store.List().Count);

        var lower = store.LowerDirsFor("app:1");
        Assert.Equal([store.Layers.PathOf(_app.DiffId), store.Layers.PathOf(_base.DiffId)], lower);
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(lower[0], "app", "run")));
        Assert.True(File.Exists(Path.Combine(lower[1], "etc", "os-release")));
        Assert.True(store.Content.Exists(_base.Digest)); // original gzip blob kept
        Assert.True(File.Exists(Path.Combine(store.Root, "oci-layout")));
    }

    [Fact]
    public async Task Loading_the_same_archive_twice_unpacks_nothing_new()
    {
        var store = NewStore();
        var archive = TwoImagesDockerArchive(out _, out _);
        await Load(store, archive);
        var calls = _unpacker.Calls;
        await Load(store, archive);
        Assert.Equal(calls, _unpacker.Calls);
        Assert.Equal(2, store.List().Count);
    }

    [Fact]
    public async Task Loads_old_docker_save_layout_with_hex_config_name_and_layer_dirs()
    {
        var store = NewStore();
        var config = Config([_base.DiffId]);
        var id = TestLayer.Sha(config);
        var archive = DockerSave(new DockerImage(config, [_base], ["busybox:latest"], ConfigName: $"{id[7..]}.json", LayerNames: ["abc123/layer.tar"]));
        var loaded = await Load(store, archive);
        Assert.Equal(["docker.io/library/busybox:latest"], loaded);
        Assert.Equal(id, store.Inspect("busybox").Id);
    }

    [Fact]
    public async Task Loads_oci_layout_archive()
    {
        var store = NewStore();
        var config = Config([_base.DiffId, _app.DiffId]);
        var untaggedConfig = Config([_other.DiffId]);
        var archive = OciLayout((config, [_base, _app], "example.com/x/app:2"), (untaggedConfig, [_other], null));

        var loaded = await Load(store, archive);

        Assert.Equal(["example.com/x/app:2", TestLayer.Sha(untaggedConfig)], loaded);
        Assert.Equal(TestLayer.Sha(config), store.Inspect("example.com/x/app:2").Id);
        Assert.Empty(store.Inspect(TestLayer.Sha(untaggedConfig)).RepoTags);
        Assert.Equal(2, store.LowerDirsFor("example.com/x/app:2").Count);
    }

    [Fact]
    public async Task Gzipped_archive_is_accepted()
    {
        var store = NewStore();
        var config = Config([_app.DiffId]);
        var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(DockerSave(new DockerImage(config, [_app], ["gz:1"])));
        }

        Assert.Equal(["docker.io/library/gz:1"], await Load(store, ms.ToArray()));
    }

    [Fact]
    public async Task Tag_untag_and_remove_release_unshared_blobs_and_layers()
    {
        var store = NewStore();
        await Load(store, TwoImagesDockerArchive(out var appId, out var otherId));

        Assert.Equal("docker.io/library/copy:latest", store.Tag("other", "copy"));
        Assert.Equal(otherId, store.Inspect("copy").Id);

        // by name with another tag left: only untag
        Assert.Equal(["Untagged: docker.io/library/copy:latest"], store.Remove("copy", force: false));
        Assert.Equal(otherId, store.Inspect("other").Id);

        // by id with two tags needs force
        Assert.Throws<InvalidOperationException>(() => store.Remove(appId, force: false));
        var removed = store.Remove(appId, force: true);
        Assert.Contains($"Deleted: {appId}", removed);
        Assert.Throws<ImageNotFoundException>(() => store.Inspect("app:1"));
        Assert.False(store.Content.Exists(appId));
        Assert.False(store.Content.Exists(_app.Digest));
        Assert.False(store.Layers.Exists(_app.DiffId));
        Assert.True(store.Layers.Exists(_base.DiffId)); // still used by "other"
        Assert.True(store.Content.Exists(_base.Digest));

        store.Remove("other", force: false);
        Assert.Empty(store.List());
        Assert.Empty(store.Layers.List());
        Assert.Empty(store.Content.List());
        Assert.Empty(store.References.List());
    }

    [Fact]
    public async Task Save_then_load_into_a_fresh_store_gives_the_same_ids()
    {
        var store = NewStore();
        await Load(store, TwoImagesDockerArchive(out var appId, out var otherId));
        var saved = new MemoryStream();
        await store.SaveAsync(["app:1", "other"], saved, CancellationToken.None);

        var files = Untar(saved.ToArray());
        Assert.Contains("manifest.json", files.Keys);
        Assert.Contains("index.json", files.Keys);
        Assert.Equal(_base.Blob, files[$"blobs/sha256/{_base.Hex}"]); // original compressed blob, stored once
        Assert.Contains("\"app:1\"", Encoding.UTF8.GetString(files["manifest.json"]));

        var fresh = NewStore("fresh");
        var loaded = await Load(fresh, saved.ToArray());
        Assert.Equal(["docker.io/library/app:1", "docker.io/library/other:latest"], loaded.Order(StringComparer.Ordinal));
        Assert.Equal(appId, fresh.Inspect("app:1").Id);
        Assert.Equal(otherId, fresh.Inspect("other").Id);
        Assert.Throws<ImageNotFoundException>(() => fresh.Inspect("myreg:5000/team/app:1")); // only the requested tag

        // the saved archive is also a valid OCI layout
        files.Remove("manifest.json");
        var oci = NewStore("oci");
        await Load(oci, Tar(files));
        Assert.Equal(appId, oci.Inspect("app:1").Id);
    }

    public static TheoryData<string> BadArchives => new() { "digest", "missing", "diffid", "baddigest", "count" };

    [Theory]
    [MemberData(nameof(BadArchives))]
    public async Task Bad_archive_throws_and_leaves_nothing_new(string kind)
    {
        var store = NewStore();
        var goodConfig = Config([_other.DiffId]);
        await Load(store, DockerSave(new DockerImage(goodConfig, [_other], ["keep:1"])));
        var blobsBefore = store.Content.List().Order().ToList();
        var layersBefore = store.Layers.List().Order().ToList();

        var config = Config([_base.DiffId, _app.DiffId]);
        byte[] archive = kind switch
        {
            "digest" => DockerSave(new DockerImage(config, [_base, _app], ["bad:1"], LayerNames: [$"blobs/sha256/{_base.Hex}", $"blobs/sha256/{_other.Hex}"])),
            "missing" => DockerSave([new DockerImage(config, [_base, _app], ["bad:1"])], skipLayer: $"blobs/sha256/{_app.Hex}"),
            "diffid" => DockerSave(new DockerImage(Config([_base.DiffId, _other.DiffId]), [_base, _app], ["bad:1"])),
            "baddigest" => OciWithDigest("sha256:../../../etc/passwd"),
            "count" => DockerSave(new DockerImage(Config([_base.DiffId]), [_base, _app], ["bad:1"])),
            _ => throw new ArgumentException(kind),
        };

        var e = await Assert.ThrowsAsync<ImageFormatException>(() => Load(store, archive));
        switch (kind)
        {
            case "digest": Assert.Contains("digest mismatch", e.Message); break;
            case "missing": Assert.Contains("missing", e.Message); Assert.Contains(_app.Hex, e.Message); break;
            case "diffid": Assert.Contains("layer 1", e.Message); Assert.Contains("diff id mismatch", e.Message); break;
            case "baddigest": Assert.Contains("invalid digest", e.Message); break;
        }

        Assert.Throws<ImageNotFoundException>(() => store.Inspect("bad:1"));
        Assert.Equal(["docker.io/library/keep:1"], store.References.List().Select(kv => kv.Key));
        Assert.Single(store.List());
        Assert.Equal(blobsBefore, store.Content.List().Order().ToList());
        Assert.Equal(layersBefore, store.Layers.List().Order().ToList());
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Root, "*.tmp*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.Equal(store.Layers.List().Count(), Directory.EnumerateDirectories(Path.Combine(store.Root, "layers")).Count());
    }

    private void AssertNoLeftovers(ImageStore store)
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Root, "*.tmp*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.Equal(store.Layers.List().Count(), Directory.EnumerateDirectories(Path.Combine(store.Root, "layers")).Count());
    }

    [Fact]
    public async Task Layer_tar_entries_are_unpacked_once_while_the_archive_is_read()
    {
        var store = NewStore();
        var config = Config([_base.DiffId, _app.DiffId]);
        var loaded = await Load(store, DockerSave(new DockerImage(config, [_base, _app], ["one:1"], LayerNames: ["l0/layer.tar", "l1/layer.tar"])));

        Assert.Equal(["docker.io/library/one:1"], loaded);
        Assert.Equal(2, _unpacker.Calls);
        Assert.Equal(0, _unpacker.FromStoredBlobs); // unpacked from the archive as it arrived, not read back from the store
        Assert.Equal([_base.DiffId, _app.DiffId], store.Inspect("one:1").DiffIds);
        Assert.True(File.Exists(Path.Combine(store.Layers.PathOf(_app.DiffId), "app", "run")));
        Assert.True(store.Content.Exists(_base.Digest));
        AssertNoLeftovers(store);
    }

    [Fact]
    public async Task Large_oci_blobs_are_unpacked_while_the_archive_is_read()
    {
        var big = TestLayer.Create(gzip: false, ("big", new string('b', 100_000)));
        var store = NewStore();
        await Load(store, OciLayout((Config([big.DiffId]), [big], "big:1")));
        Assert.Equal(1, _unpacker.Calls);
        Assert.Equal(0, _unpacker.FromStoredBlobs);
        Assert.Equal(big.DiffId, store.Inspect("big:1").DiffIds.Single());
        AssertNoLeftovers(store);
    }

    [Fact]
    public async Task A_layer_tar_with_the_wrong_diff_id_is_refused_and_its_early_unpack_removed()
    {
        var store = NewStore();
        await Load(store, DockerSave(new DockerImage(Config([_other.DiffId]), [_other], ["keep:1"])));
        var layersBefore = store.Layers.List().Order().ToList();

        var config = Config([_base.DiffId, _other.DiffId]); // _app is not what the config says
        var e = await Assert.ThrowsAsync<ImageFormatException>(() =>
            Load(store, DockerSave(new DockerImage(config, [_base, _app], ["bad:1"], LayerNames: ["l0/layer.tar", "l1/layer.tar"]))));

        Assert.Contains("layer 1", e.Message);
        Assert.Contains("diff id mismatch", e.Message);
        Assert.Throws<ImageNotFoundException>(() => store.Inspect("bad:1"));
        Assert.Equal(layersBefore, store.Layers.List().Order().ToList());
        AssertNoLeftovers(store);
    }

    [Fact]
    public async Task A_layer_tar_no_manifest_names_leaves_nothing()
    {
        var store = NewStore();
        var archive = DockerSave(new DockerImage(Config([_app.DiffId]), [_app], ["one:1"], LayerNames: ["l0/layer.tar"]));
        var files = Untar(archive);
        files["stray/layer.tar"] = _other.Blob;
        await Load(store, Tar(files));

        Assert.Equal([_app.DiffId], store.Layers.List());
        Assert.False(store.Content.Exists(_other.Digest));
        AssertNoLeftovers(store);
    }

    [Fact]
    public async Task A_layer_tar_that_is_not_a_tar_is_reported_as_before()
    {
        var store = NewStore();
        var junk = new TestLayer("not a tar at all"u8.ToArray(), TestLayer.Sha("not a tar at all"u8.ToArray()));
        var archive = DockerSave(new DockerImage(Config([junk.DiffId]), [junk], ["junk:1"], LayerNames: ["l0/layer.tar"]));
        await Assert.ThrowsAnyAsync<Exception>(() => Load(store, archive));
        Assert.Empty(store.Layers.List());
        Assert.Empty(store.Content.List());
        AssertNoLeftovers(store);
    }

    [RequiresRootFact]
    public async Task A_hostile_layer_tar_is_refused_by_the_real_unpacker_and_leaves_nothing()
    {
        var store = new ImageStore(Path.Combine(_dir.Path, "real"), new ContainerConsole.Images.Layers.LayerUnpacker());
        var escape = "x-" + Guid.NewGuid().ToString("N");
        var hostile = TestLayer.Create(gzip: false, ("ok", "fine"), ($"../../../../../../tmp/{escape}", "escaped"));
        var archive = DockerSave(new DockerImage(Config([hostile.DiffId]), [hostile], ["evil:1"], LayerNames: ["l0/layer.tar"]));

        var e = await Assert.ThrowsAsync<ImageFormatException>(() => Load(store, archive));
        Assert.Contains("path escapes the layer", e.Message);
        Assert.False(File.Exists(Path.Combine("/tmp", escape)));
        Assert.Empty(store.Layers.List());
        AssertNoLeftovers(store);
    }

    private static byte[] OciWithDigest(string digest) => Tar(new Dictionary<string, byte[]>
    {
        ["oci-layout"] = """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray(),
        ["index.json"] = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{digest}}}","size":10,"annotations":{"io.containerd.image.name":"bad:1"}}]}"""),
    });

    [Fact]
    public async Task Archive_entries_cannot_escape_staging()
    {
        var store = NewStore();
        var archive = Tar(new Dictionary<string, byte[]> { ["../../evil"] = [1], ["manifest.json"] = "[]"u8.ToArray() });
        Assert.Empty(await Load(store, archive));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "evil")));
    }
}
