using System.Formats.Tar;
using ContainerConsole.Images.Layers;
using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.Layers;
using ContainerConsole.Images.Tests.TestSupport;
using static ContainerConsole.Images.Tests.TestSupport.ImageArchiveBuilder;

namespace ContainerConsole.Images.Tests.Store;

public sealed class CommitTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string P(params string[] parts) => Path.Combine([_dir.Path, .. parts]);

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static void Whiteout(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Xattr.MkWhiteout(path);
    }

    private static bool IsWhiteout(string path) =>
        Xattr.LStat(path) is { } st && (st.Mode & Xattr.S_IFMT) == Xattr.S_IFCHR && st.Rdev == 0;

    /// <summary>lower: etc/motd, etc/keep, usr/bin/tool, var/lib/x/old. upper: motd changed, etc/new added (+ hardlink and symlink),
    /// tool deleted, var/lib/x opaque with a fresh file, opt/app/file new.</summary>
    private (string Upper, string Lower) BuildTrees()
    {
        var lower = P("lower");
        Write(Path.Combine(lower, "etc/motd"), "old\n");
        Write(Path.Combine(lower, "etc/keep"), "keep\n");
        Write(Path.Combine(lower, "usr/bin/tool"), "tool\n");
        Write(Path.Combine(lower, "var/lib/x/old"), "old\n");

        var upper = P("upper");
        Write(Path.Combine(upper, "etc/motd"), "new\n");
        Write(Path.Combine(upper, "etc/new"), "added\n");
        File.SetUnixFileMode(Path.Combine(upper, "etc/new"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Xattr.Link(Path.Combine(upper, "etc/new"), Path.Combine(upper, "etc/new2"));
        File.CreateSymbolicLink(Path.Combine(upper, "etc/link"), "motd");
        Whiteout(Path.Combine(upper, "usr/bin/tool"));
        Write(Path.Combine(upper, "var/lib/x/fresh"), "fresh\n");
        Xattr.Set(Path.Combine(upper, "var/lib/x"), "trusted.overlay.opaque", "y"u8);
        Write(Path.Combine(upper, "opt/app/file"), "f\n");
        return (upper, lower);
    }

    [RequiresRootFact]
    public void Changes_reports_added_changed_deleted_and_opaque()
    {
        var (upper, lower) = BuildTrees();

        var changes = LayerDiff.Changes(upper, [lower]);

        Assert.Equal(
        [
            new('C', "/etc"), new('A', "/etc/link"), new('C', "/etc/motd"), new('A', "/etc/new"), new('A', "/etc/new2"),
            new('A', "/opt"), new('A', "/opt/app"), new('A', "/opt/app/file"),
            new('C', "/usr"), new('C', "/usr/bin"), new('D', "/usr/bin/tool"),
            new('C', "/var"), new('C', "/var/lib"), new('C', "/var/lib/x"), new('A', "/var/lib/x/fresh"),
        ], changes);
    }

    [RequiresRootFact]
    public async Task Layer_tar_round_trips_through_the_unpacker()
    {
        var (upper, _) = BuildTrees();
        var tar = new MemoryStream();

        var diffId = await LayerDiff.WriteLayerTarAsync(upper, tar, CancellationToken.None);

        Assert.Equal(TestLayer.Sha(tar.ToArray()), diffId);
        var names = new List<string>();
        using (var reader = new TarReader(new MemoryStream(tar.ToArray())))
        {
            while (reader.GetNextEntry() is { } e)
            {
                names.Add(e.Name);
            }
        }

        Assert.Contains("usr/bin/.wh.tool", names);
        Assert.Contains("var/lib/x/.wh..wh..opq", names);

        var target = P("unpacked");
        var unpacked = await new LayerUnpacker().UnpackAsync(new MemoryStream(tar.ToArray()), target, CancellationToken.None);

        Assert.Equal(diffId, unpacked.DiffId);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(target, "etc/motd")));
        Assert.Equal("added\n", File.ReadAllText(Path.Combine(target, "etc/new")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(target, "etc/new")));
        Assert.Equal(Xattr.LStat(Path.Combine(target, "etc/new"))!.Value.Ino, Xattr.LStat(Path.Combine(target, "etc/new2"))!.Value.Ino);
        Assert.Equal("motd", new FileInfo(Path.Combine(target, "etc/link")).LinkTarget);
        Assert.True(IsWhiteout(Path.Combine(target, "usr/bin/tool")));
        Assert.Equal("y"u8.ToArray(), Xattr.Get(Path.Combine(target, "var/lib/x"), "trusted.overlay.opaque"));
        Assert.Equal("fresh\n", File.ReadAllText(Path.Combine(target, "var/lib/x/fresh")));
        Assert.Equal("f\n", File.ReadAllText(Path.Combine(target, "opt/app/file")));
        Assert.Equal(LayerDiff.Changes(upper, []).Select(c => c.Path), LayerDiff.Changes(target, []).Select(c => c.Path));
    }

    [RequiresRootFact]
    public async Task Commit_on_a_loaded_image_adds_a_layer_config_history_and_tag()
    {
        var store = new ImageStore(P("store"), new LayerUnpacker());
        var baseLayer = TestLayer.Create(gzip: true, ("etc/motd", "old\n"), ("usr/bin/tool", "tool\n"));
        var baseConfig = Config([baseLayer.DiffId]);
        await store.LoadAsync(new MemoryStream(DockerSave(new DockerImage(baseConfig, [baseLayer], ["base:1"]))), null, CancellationToken.None);

        var upper = P("upper");
        Write(Path.Combine(upper, "etc/motd"), "new\n");
        Whiteout(Path.Combine(upper, "usr/bin/tool"));
        var cmd = new ContainerConfig { Cmd = ["/bin/echo", "hi"], Env = ["PATH=/bin"] };

        var id = await store.CommitAsync("base:1", upper, cmd, "mine:v2", "my change", "me", CancellationToken.None);

        var image = store.Inspect("mine:v2");
        Assert.Equal(id, image.Id);
        Assert.Equal(["docker.io/library/mine:v2"], image.RepoTags);
        Assert.Equal(2, image.DiffIds.Count);
        Assert.Equal(baseLayer.DiffId, image.DiffIds[0]);
        Assert.Equal(["/bin/echo", "hi"], image.Config.Config!.Cmd);
        Assert.Equal("me", image.Config.Author);
        var history = image.Config.History!;
        Assert.Equal(2, history.Count);
        Assert.Equal("ccagent commit", history[^1].CreatedBy);
        Assert.Equal("my change", history[^1].Comment);
        Assert.Equal("me", history[^1].Author);
        Assert.True(image.Created > DateTimeOffset.UtcNow.AddMinutes(-5));

        var lower = store.LowerDirsFor("mine:v2");
        Assert.Equal([store.Layers.PathOf(image.DiffIds[1]), store.Layers.PathOf(baseLayer.DiffId)], lower);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(lower[0], "etc/motd")));
        Assert.True(IsWhiteout(Path.Combine(lower[0], "usr/bin/tool")));
        Assert.Equal([new('C', "/etc"), new('C', "/etc/motd"), new('C', "/usr"), new('C', "/usr/bin"), new LayerDiff.Change('D', "/usr/bin/tool")],
            LayerDiff.Changes(lower[0], lower.Skip(1).ToList()));

        // The parent is untouched and still usable; the new image survives a save/load shape check.
        Assert.Single(store.Inspect("base:1").DiffIds);
        var save = new MemoryStream();
        await store.SaveAsync(["mine:v2"], save, CancellationToken.None);
        Assert.Contains("blobs/sha256/" + image.DiffIds[1][7..], Untar(save.ToArray()).Keys);
    }

    [RequiresRootFact]
    public async Task Commit_of_an_unchanged_container_stores_docker_s_empty_layer()
    {
        var store = new ImageStore(P("store"), new LayerUnpacker());
        var upper = P("empty-upper");
        Directory.CreateDirectory(upper);

        var id = await store.CommitAsync(null, upper, new ContainerConfig(), null, null, null, CancellationToken.None);

        // sha256 of 1024 zero bytes: the end-of-archive blocks and nothing else, as docker writes it
        Assert.Equal(["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"], store.Inspect(id).DiffIds);
    }

    [RequiresRootFact]
    public async Task Scratch_commit_has_only_the_new_layer_and_failures_leave_nothing()
    {
        var store = new ImageStore(P("store"), new LayerUnpacker());
        var upper = P("upper");
        Write(Path.Combine(upper, "hello"), "hi\n");

        var id = await store.CommitAsync(null, upper, new ContainerConfig { Cmd = ["/hello"] }, null, null, null, CancellationToken.None);

        var image = store.Inspect(id);
        Assert.Single(image.DiffIds);
        Assert.Empty(image.RepoTags);
        Assert.Equal("linux", image.Config.Os);
        Assert.Single(image.Config.History!);

        var blobs = store.Content.List().Order().ToList();
        var layers = store.Layers.List().Order().ToList();
        await Assert.ThrowsAsync<ImageNotFoundException>(() =>
            store.CommitAsync("nope:1", upper, new ContainerConfig(), "x:1", null, null, CancellationToken.None));

        var bad = P("bad");
        Write(Path.Combine(bad, "other"), "other\n");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", Path.Combine(bad, "fifo")))
        {
            await mk.WaitForExitAsync();
            Assert.Equal(0, mk.ExitCode);
        }

        await Assert.ThrowsAsync<IOException>(() =>
            store.CommitAsync(id, bad, new ContainerConfig(), "y:1", null, null, CancellationToken.None));

        Assert.Equal(blobs, store.Content.List().Order().ToList());
        Assert.Equal(layers, store.Layers.List().Order().ToList());
        Assert.Equal([id], store.ImageIds());
        Assert.Null(store.Resolve("y:1"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }
}
