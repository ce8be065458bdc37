using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;
using ContainerConsole.Runtime.Tests.TestSupport;

namespace ContainerConsole.Runtime.Tests.State;

public class StateStoreTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private StateStore NewStore() => new(_tmp["state"]);

    private static ContainerRecord Record(string id) => new()
    {
        Id = id,
        Bundle = "/bundles/" + id,
        Rootfs = "/bundles/" + id + "/rootfs",
        InitPid = 4321,
        InitStartTime = 987654321,
        Created = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc),
        Started = true,
        CgroupsPath = "/containerconsole/" + id,
        Config = DefaultSpec.Create(args: ["/bin/echo", "héllo, wörld"]),
    };

    private static void SaveNew(StateStore store, ContainerRecord r)
    {
        Directory.CreateDirectory(store.DirOf(r.Id)); // CreateOperation makes the directory before saving
        store.Save(r);
    }

    [Fact]
    public void SaveThenLoadRoundTrips()
    {
        var store = NewStore();
        var saved = Record("web-1");
        SaveNew(store, saved);

        Assert.True(store.Exists("web-1"));
        var loaded = store.Load("web-1");
        Assert.Equal(saved.Id, loaded.Id);
        Assert.Equal(saved.Bundle, loaded.Bundle);
        Assert.Equal(saved.Rootfs, loaded.Rootfs);
        Assert.Equal(saved.InitPid, loaded.InitPid);
        Assert.Equal(saved.InitStartTime, loaded.InitStartTime);
        Assert.Equal(saved.Created, loaded.Created);
        Assert.True(loaded.Started);
        Assert.Equal(saved.CgroupsPath, loaded.CgroupsPath);
        Assert.Equal(["/bin/echo", "héllo, wörld"], loaded.Config.Process!.Args);
        Assert.Equal("container", loaded.Config.Hostname);
        Assert.Equal(saved.Config.Mounts.Select(m => m.Destination), loaded.Config.Mounts.Select(m => m.Destination));
        Assert.Equal(saved.Config.Linux!.Namespaces.Select(n => n.Type), loaded.Config.Linux!.Namespaces.Select(n => n.Type));
    }

    [Fact]
    public void SaveOverwritesAndLeavesNoTempFile()
    {
        var store = NewStore();
        var r = Record("c1");
        SaveNew(store, r);
        r.Started = false;
        r.InitPid = 1;
        store.Save(r);

        var loaded = store.Load("c1");
        Assert.False(loaded.Started);
        Assert.Equal(1, loaded.InitPid);
        Assert.Equal(["state.json"], Directory.GetFiles(store.DirOf("c1")).Select(Path.GetFileName));
    }

    [Fact]
    public void StatePathsLiveInTheContainerDirectory()
    {
        var store = NewStore();
        Assert.Equal(Path.Combine(_tmp["state"], "abc"), store.DirOf("abc"));
        Assert.Equal(Path.Combine(_tmp["state"], "abc", "exec.fifo"), store.FifoOf("abc"));
    }

    [Fact]
    public void ListShowsOnlyDirectoriesWithState()
    {
        var store = NewStore();
        SaveNew(store, Record("b"));
        SaveNew(store, Record("a"));
        Directory.CreateDirectory(store.DirOf("half-created")); // no state.json yet
        Directory.CreateDirectory(Path.Combine(store.Root, ".cache"));

        Assert.Equal(["a", "b"], store.List().Order());
    }

    [Fact]
    public void ListOfMissingRootIsEmpty() => Assert.Empty(new StateStore(_tmp["nothing-here"]).List());

    [Fact]
    public void RemoveDeletesTheDirectory()
    {
        var store = NewStore();
        SaveNew(store, Record("gone"));
        File.WriteAllText(store.FifoOf("gone"), "");
        store.Remove("gone");

        Assert.False(Directory.Exists(store.DirOf("gone")));
        Assert.False(store.Exists("gone"));
        Assert.Empty(store.List());
        Assert.Throws<ContainerNotFoundException>(() => store.Load("gone"));
        store.Remove("gone"); // twice is fine
    }

    [Fact]
    public void LoadOfMissingIdThrowsNotFound()
    {
        var e = Assert.Throws<ContainerNotFoundException>(() => NewStore().Load("nope"));
        Assert.Equal("container \"nope\" does not exist", e.Message);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("../state")]
    public void LoadValidatesTheId(string id) =>
        Assert.Throws<SpecValidationException>(() => NewStore().Load(id));
}

public class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void WritesContentAndLeavesNoTempFile()
    {
        var path = _tmp["pid"];
        AtomicFile.WriteText(path, "1234");
        Assert.Equal("1234", File.ReadAllText(path));

        AtomicFile.Write(path, "5678\n"u8);
        Assert.Equal("5678\n", File.ReadAllText(path));
        Assert.Equal(["pid"], Directory.GetFileSystemEntries(_tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ReplacesTheFileRatherThanWritingIntoIt()
    {
        var path = _tmp["state.json"];
        File.WriteAllText(path, "old content that is longer");
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read);

        AtomicFile.WriteText(path, "new");

        // An open reader still sees the old file: the new one was renamed over it.
        Assert.Equal("old content that is longer", new StreamReader(reader).ReadToEnd());
        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void DerivedFilesAreReplacedAtomicallyToo()
    {
        var path = _tmp["resolv.conf"];
        File.WriteAllText(path, "nameserver 10.0.0.1 and more");
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read);

        AtomicFile.WriteDerivedText(path, "nameserver 127.0.0.1\n");

        Assert.Equal("nameserver 10.0.0.1 and more", new StreamReader(reader).ReadToEnd());
        Assert.Equal("nameserver 127.0.0.1\n", File.ReadAllText(path));
        Assert.Equal(["resolv.conf"], Directory.GetFileSystemEntries(_tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AppliesTheRequestedMode()
    {
        var path = _tmp["secret"];
        AtomicFile.Write(path, "x"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void MissingDirectoryFailsWithoutLeavingAnything()
    {
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteText(_tmp["no/such/dir/file"], "x"));
        Assert.Empty(Directory.GetFileSystemEntries(_tmp.Path));
    }
}
