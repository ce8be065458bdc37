using System.Text;
using ContainerConsole.Images.Layers;
using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;
using static ContainerConsole.Images.Tests.TestSupport.ImageArchiveBuilder;

namespace ContainerConsole.Images.Tests.Store;

/// <summary>history, prune, the startup sweep and import.</summary>
public sealed class MaintenanceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestLayer _base = TestLayer.Create(gzip: true, ("etc/os-release", "ID=test\n"));
    private readonly TestLayer _app = TestLayer.Create(gzip: false, ("app/run", "hello\n"));
    private readonly TestLayer _other = TestLayer.Create(gzip: false, ("srv/data", "other\n"));

    public void Dispose() => _dir.Dispose();

    private ImageStore NewStore() => new(Path.Combine(_dir.Path, "store"), new FakeLayerUnpacker());

    private static byte[] ConfigWithHistory(IEnumerable<string> diffIds, string history) =>
        Encoding.UTF8.GetBytes($$"""
        {"architecture":"amd64","os":"linux","created":"2024-05-01T12:00:00Z","config":{"Cmd":["sh"]},
         "rootfs":{"type":"layers","diff_ids":[{{string.Join(",", diffIds.Select(d => $"\"{d}\""))}}]},
         "history":{{history}}}
        """);

    private async Task<ImageStore> LoadTwo(string[] appTags, string[] otherTags)
    {
        var store = NewStore();
        await store.LoadAsync(new MemoryStream(DockerSave(
            new DockerImage(Config([_base.DiffId, _app.DiffId], "app"), [_base, _app], appTags),
            new DockerImage(Config([_base.DiffId, _other.DiffId], "other"), [_base, _other], otherTags))), null, CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task History_matches_layer_steps_to_layers_and_skips_empty_ones_newest_first()
    {
        var store = NewStore();
        var config = ConfigWithHistory([_base.DiffId, _app.DiffId], """
            [{"created":"2024-05-01T10:00:00Z","created_by":"ADD rootfs /"},
             {"created":"2024-05-01T11:00:00Z","created_by":"ENV A=b","empty_layer":true},
             {"created":"2024-05-01T12:00:00Z","created_by":"COPY run /app/","comment":"app"}]
            """);
        await store.LoadAsync(new MemoryStream(DockerSave(new DockerImage(config, [_base, _app], ["hist:1"]))), null, CancellationToken.None);

        var history = store.History("hist:1");

        Assert.Equal(["COPY run /app/", "ENV A=b", "ADD rootfs /"], history.Select(h => h.CreatedBy));
        Assert.Equal(TestLayer.Sha(config), history[0].Id);
        Assert.Equal(["docker.io/library/hist:1"], history[0].Tags);
        Assert.Equal(["<missing>", "<missing>"], history.Skip(1).Select(h => h.Id));
        Assert.Equal(store.Layers.Get(_app.DiffId)!.Size, history[0].Size);
        Assert.Equal(0, history[1].Size);
        Assert.Equal(store.Layers.Get(_base.DiffId)!.Size, history[2].Size);
        Assert.Equal("app", history[0].Comment);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), history[2].Created);
    }

    [Fact]
    public async Task Prune_removes_only_dangling_unused_images_and_keeps_shared_layers()
    {
        var store = await LoadTwo(["app:1"], []);
        var otherId = store.List().Single(i => i.RepoTags.Count == 0).Id;

        var result = await store.PruneAsync(all: false, _ => false, _ => true, CancellationToken.None);

        Assert.Equal([$"Deleted: {otherId}"], result.Lines);
        Assert.Equal(store.Inspect("app:1").Id, Assert.Single(store.List()).Id);
        Assert.True(store.Layers.Exists(_base.DiffId));
        Assert.False(store.Layers.Exists(_other.DiffId));
        Assert.False(store.Content.Exists(_other.Digest));
        Assert.True(result.SpaceReclaimed >= _other.Blob.Length);
    }

    [Fact]
    public async Task Prune_all_spares_images_in_use_and_those_the_filter_keeps()
    {
        var store = await LoadTwo(["app:1"], ["other:1"]);
        var appId = store.Inspect("app:1").Id;

        var kept = await store.PruneAsync(all: true, id => id == appId, _ => false, CancellationToken.None);
        Assert.Empty(kept.Lines);
        Assert.Equal(0, kept.SpaceReclaimed);

        var result = await store.PruneAsync(all: true, id => id == appId, _ => true, CancellationToken.None);
        Assert.Equal(["Untagged: docker.io/library/other:1", $"Deleted: {TestLayer.Sha(Config([_base.DiffId, _other.DiffId], "other"))}"], result.Lines);
        Assert.Equal(appId, Assert.Single(store.List()).Id);
    }

    [Fact]
    public async Task Sweep_removes_crash_leftovers_and_nothing_an_image_uses()
    {
        var store = await LoadTwo(["app:1"], ["other:1"]);
        var before = store.Content.List().Order().ToList();
        // What a crash can leave: a half-written blob, a half-unpacked layer, an uncommitted layer dir, a staging dir,
        // and a blob plus a layer that no image record names.
        File.WriteAllText(Path.Combine(store.Root, "blobs", "sha256", ".abc.tmp"), "partial");
        Directory.CreateDirectory(Path.Combine(store.Root, "layers", ".def.tmp", "usr"));
        Directory.CreateDirectory(store.Layers.PathOf("sha256:" + new string('e', 64)));
        Directory.CreateDirectory(Path.Combine(store.Root, "tmp", "load-123", "blobs"));
        var orphan = await store.Content.WriteAsync(Encoding.UTF8.GetBytes("orphan"), null, CancellationToken.None);
        var orphanLayer = TestLayer.Create(gzip: false, ("x", "y"));
        var orphanBlob = await store.Content.WriteAsync(orphanLayer.Blob, null, CancellationToken.None);
        await store.Layers.AddAsync(orphanBlob.Digest, () => store.Content.Open(orphanBlob.Digest), null, "orphan", CancellationToken.None);

        var swept = await store.SweepAsync(CancellationToken.None);

        Assert.Equal(new SweepResult(4, 2, 1), swept);
        Assert.Equal(before, store.Content.List().Order().ToList());
        Assert.False(store.Content.Exists(orphan.Digest));
        Assert.Equal(new[] { _base.DiffId, _app.DiffId, _other.DiffId }.Order(), store.Layers.List().Order());
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(store.Root, "layers")).Length);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "tmp")));
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(store.LowerDirsFor("app:1")[0], "app", "run")));
        Assert.Equal(new SweepResult(0, 0, 0), await store.SweepAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Import_makes_a_one_layer_image_with_the_given_config_and_tag()
    {
        var store = NewStore();
        var rootfs = TestLayer.Create(gzip: true, ("bin/tool", "#!/bin/sh\n"), ("etc/hostname", "x\n"));

        var id = await store.ImportAsync(new MemoryStream(rootfs.Blob), new ContainerConfig { Cmd = ["/bin/tool"] }, "imported:v1", "from a test", CancellationToken.None);

        var image = store.Inspect("imported:v1");
        Assert.Equal(id, image.Id);
        Assert.Equal([rootfs.DiffId], image.DiffIds);
        Assert.Equal(["/bin/tool"], image.Config.Config!.Cmd);
        Assert.Equal("linux", image.Config.Os);
        Assert.Equal("from a test", Assert.Single(store.History(id)).Comment);
        Assert.True(File.Exists(Path.Combine(store.LowerDirsFor(id)[0], "bin", "tool")));
        Assert.True(store.Content.Exists(rootfs.Digest)); // the blob as given, gzip and all
    }

    [RequiresRootFact]
    public async Task Import_of_a_hostile_tar_is_refused_and_leaves_nothing()
    {
        var store = new ImageStore(Path.Combine(_dir.Path, "real"), new LayerUnpacker());
        var hostile = Tar(new Dictionary<string, byte[]> { ["../../escape"] = "x"u8.ToArray() });

        var e = await Assert.ThrowsAsync<ImageFormatException>(() =>
            store.ImportAsync(new MemoryStream(hostile), null, "bad:1", null, CancellationToken.None));

        Assert.Contains("escape", e.Message);
        Assert.Empty(store.List());
        Assert.Empty(store.Content.List());
        Assert.Empty(store.Layers.List());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, "layers")));
        Assert.Null(store.Resolve("bad:1"));
    }

    [Fact]
    public async Task Import_of_an_empty_body_is_refused()
    {
        var store = NewStore();
        var e = await Assert.ThrowsAsync<ImageFormatException>(() => store.ImportAsync(new MemoryStream(), null, null, null, CancellationToken.None));
        Assert.Contains("empty", e.Message);
        Assert.Empty(store.Content.List());
    }

    private async Task<(ImageStore Store, string Base, string Middle, string Top)> Chain()
    {
        var store = await LoadTwo(["base:1"], ["other:1"]);
        var baseId = store.Inspect("base:1").Id;
        string Upper(string name)
        {
            var dir = Path.Combine(_dir.Path, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, name), name);
            return dir;
        }

        var middle = await store.CommitAsync(baseId, Upper("step1"), new ContainerConfig(), null, null, null, CancellationToken.None);
        var top = await store.CommitAsync(middle, Upper("step2"), new ContainerConfig(), "final:1", null, null, CancellationToken.None);
        return (store, baseId, middle, top);
    }

    [Fact]
    public async Task Images_record_the_image_they_were_made_from()
    {
        var (store, baseId, middle, top) = await Chain();
        Assert.Equal(middle, store.Inspect(top).Parent);
        Assert.Equal(baseId, store.Inspect(middle).Parent);
        Assert.Null(store.Inspect(baseId).Parent);
        Assert.Equal(new[] { baseId, middle }.Order(), store.Parents().Order());
    }

    [Fact]
    public async Task Removing_an_image_removes_its_untagged_parents_but_not_tagged_or_used_ones()
    {
        var (store, baseId, middle, top) = await Chain();

        var e = Assert.Throws<InvalidOperationException>(() => store.Remove(middle, force: true));
        Assert.Contains("dependent child images", e.Message);

        Assert.Equal(["Untagged: docker.io/library/final:1", $"Deleted: {top}", $"Deleted: {middle}"], store.Remove("final:1", force: false));
        Assert.True(store.HasImage(baseId)); // tagged
        Assert.False(store.HasImage(middle));

        var (again, _, middle2, top2) = await Chain();
        Assert.Equal(["Untagged: docker.io/library/final:1", $"Deleted: {top2}"], again.Remove("final:1", false, id => id == middle2));
        Assert.True(again.HasImage(middle2)); // a container uses it
    }

    [Fact]
    public async Task Prune_keeps_build_steps_under_a_tagged_image_and_removes_a_whole_untagged_chain()
    {
        var (store, baseId, middle, top) = await Chain();

        Assert.DoesNotContain((await store.PruneAsync(all: false, _ => false, _ => true, CancellationToken.None)).Lines, l => l.Contains(middle));
        Assert.True(store.HasImage(middle));

        store.References.Untag("docker.io/library/final:1");
        var result = await store.PruneAsync(all: false, _ => false, _ => true, CancellationToken.None);
        Assert.Equal([$"Deleted: {top}", $"Deleted: {middle}"], result.Lines);
        Assert.True(store.HasImage(baseId));
    }
}
