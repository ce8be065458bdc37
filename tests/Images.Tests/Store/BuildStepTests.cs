using ContainerConsole.Images.Layers;
using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;

namespace ContainerConsole.Images.Tests.Store;

public sealed class BuildStepTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string P(string name) => Path.Combine(_dir.Path, name);

    [RequiresRootFact]
    public async Task History_names_each_build_step_still_in_the_store_as_docker_does()
    {
        var store = new ImageStore(P("store"), new LayerUnpacker());
        var layer = P("layer");
        Directory.CreateDirectory(layer);
        File.WriteAllText(Path.Combine(layer, "f"), "content");
        var first = await store.AddBuildStepAsync(null, new ContainerConfig(), layer, "COPY f /", null, null, CancellationToken.None);
        var second = await store.AddBuildStepAsync(first, new ContainerConfig(), null, "ENV A=1", null, null, CancellationToken.None);
        var third = await store.AddBuildStepAsync(second, new ContainerConfig(), null, "CMD sh", null, null, CancellationToken.None);

        Assert.Equal([third, second, first], store.History(third).Select(h => h.Id));
        Assert.Equal([second, first], store.History(second).Select(h => h.Id));
    }

    [RequiresRootFact]
    public async Task Steps_chain_layers_and_history_and_the_cache_survives_a_new_store_instance()
    {
        var store = new ImageStore(P("store"), new LayerUnpacker());
        var layer = P("layer");
        Directory.CreateDirectory(Path.Combine(layer, "app"));
        File.WriteAllText(Path.Combine(layer, "app", "f"), "content");
        var key1 = "sha256:" + new string('1', 64);
        var key2 = "sha256:" + new string('2', 64);

        var first = await store.AddBuildStepAsync(null, new ContainerConfig { WorkingDir = "/app" }, layer, "/bin/sh -c #(nop) COPY x in /app", null, key1, CancellationToken.None);
        var second = await store.AddBuildStepAsync(first, new ContainerConfig { WorkingDir = "/app", Env = ["A=1"] }, null, "/bin/sh -c #(nop)  ENV A=1", "me", key2, CancellationToken.None);

        var image = store.Inspect(second);
        Assert.Single(image.DiffIds); // the config-only step adds no layer
        Assert.Equal(["A=1"], image.Config.Config!.Env!);
        Assert.Equal("me", image.Config.Author);
        Assert.Equal([null, true], image.Config.History!.Select(h => h.EmptyLayer));
        Assert.Empty(image.RepoTags); // step images are untagged
        Assert.Equal("content", File.ReadAllText(Path.Combine(store.LowerDirsFor(second)[0], "app", "f")));

        var reopened = new ImageStore(P("store"), new LayerUnpacker());
        Assert.Equal(first, reopened.FindCachedStep(key1));
        Assert.Equal(second, reopened.FindCachedStep(key2));
        Assert.Null(reopened.FindCachedStep("sha256:" + new string('3', 64)));

        // build cache prune: entries whose image is here stay, unless all of them go
        Assert.Empty(await reopened.PruneBuildCacheAsync(all: false, CancellationToken.None));
        Assert.Equal([key1, key2], (await reopened.PruneBuildCacheAsync(all: true, CancellationToken.None)).Order());
        Assert.Null(reopened.FindCachedStep(key1));

        reopened.Remove(second, force: false);
        Assert.Null(reopened.FindCachedStep(key2)); // a deleted image is a miss
        Assert.Null(reopened.FindCachedStep(key1)); // its untagged parent step went with it, as with docker rmi
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }

    [RequiresRootFact]
    public async Task A_failed_step_leaves_nothing()
    {
        var store = new ImageStore(P("store"), new LayerUnpacker());
        var bad = P("bad");
        Directory.CreateDirectory(bad);
        File.WriteAllText(Path.Combine(bad, "ok"), "x");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", Path.Combine(bad, "fifo")))
        {
            await mk.WaitForExitAsync();
        }

        await Assert.ThrowsAsync<IOException>(() =>
            store.AddBuildStepAsync(null, new ContainerConfig(), bad, "x", null, "sha256:" + new string('4', 64), CancellationToken.None));
        Assert.Empty(store.ImageIds());
        Assert.Empty(store.Content.List());
        Assert.Null(store.FindCachedStep("sha256:" + new string('4', 64)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "tmp")));
    }
}
