using System.Text.Json;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Agent.Engine.Volumes;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContainerConsole.Integration.Tests;

/// <summary>The pure parts of volumes: -v/--mount/--tmpfs syntax and its errors, the volume store on a temporary directory.</summary>
public sealed class VolumeUnitTests
{
    private static string Error(Action a) => Assert.Throws<EngineException>(a).Message;

    [Fact]
    public void BindsParseSourcesDestinationsAndModes()
    {
        var bind = MountSyntax.ParseBind("/host/dir/:/data//x:ro,Z,rshared");
        Assert.Equal(("bind", "/host/dir", "/data/x", true, "Z", "rshared"), (bind.Type, bind.Source, bind.Destination, bind.ReadOnly, bind.Relabel, bind.Propagation));
        var volume = MountSyntax.ParseBind("cache:/c:nocopy");
        Assert.Equal(("volume", "cache", "/c", false, true, ""), (volume.Type, volume.Source, volume.Destination, volume.ReadOnly, volume.NoCopy, volume.Propagation));
        Assert.Equal("rprivate", MountSyntax.ParseBind("/h:/d").Propagation);

        Assert.Equal("invalid volume specification: '/only'", Error(() => MountSyntax.ParseBind("/only")));
        Assert.Equal("invalid volume specification: 'a:b:c:d'", Error(() => MountSyntax.ParseBind("a:b:c:d")));
        Assert.Contains("mount path must be absolute", Error(() => MountSyntax.ParseBind("/h:relative")));
        Assert.Contains("destination can't be '/'", Error(() => MountSyntax.ParseBind("/h:/x/..")));
        Assert.Contains("includes invalid characters for a local volume name", Error(() => MountSyntax.ParseBind("./rel:/d")));
        Assert.Equal("invalid mode: ro,rw", Error(() => MountSyntax.ParseBind("/h:/d:ro,rw")));
        Assert.Equal("invalid mode: nocopy", Error(() => MountSyntax.ParseBind("/h:/d:nocopy"))); // binds never copy
        Assert.Equal("invalid mode: rshared", Error(() => MountSyntax.ParseBind("vol:/d:rshared"))); // propagation is for binds
    }

    private static MountRequest Mount(string json) => MountSyntax.ParseMount(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void MountsParseEachTypeAndRefuseMisplacedOptions()
    {
        var v = Mount("""{"Type":"volume","Source":"db","Target":"/var/lib/db","ReadOnly":true,"VolumeOptions":{"NoCopy":true,"Labels":{"a":"b"},"DriverConfig":{"Name":"local","Options":{"type":"tmpfs","device":"tmpfs"}}}}""");
        Assert.Equal(("db", "/var/lib/db", true, true, "b", "local", "tmpfs"), (v.Source, v.Destination, v.ReadOnly, v.NoCopy, v.VolumeLabels!["a"], v.VolumeDriver, v.VolumeDriverOptions!["type"]));
        var t = Mount("""{"Type":"tmpfs","Target":"/scratch","TmpfsOptions":{"SizeBytes":1048576,"Mode":448}}""");
        Assert.Equal(["size=1048576", "mode=700"], t.TmpfsOptions);
        var b = Mount("""{"Type":"bind","Source":"/tmp","Target":"/t","BindOptions":{"Propagation":"rslave"}}""");
        Assert.Equal(("/tmp", "rslave"), (b.Source, b.Propagation));

        Assert.Equal("invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir",
            Error(() => Mount("""{"Type":"bind","Source":"/no/such/dir","Target":"/x"}""")));
        Assert.Equal("invalid mount config: mount type unknown: \"npipe\"", Error(() => Mount("""{"Type":"npipe","Target":"/x"}""")));
        Assert.Equal("invalid mount config for type \"volume\": field Target must not be empty", Error(() => Mount("""{"Type":"volume"}""")));
        Assert.Equal("invalid mount config for type \"tmpfs\": field Source must not be specified", Error(() => Mount("""{"Type":"tmpfs","Source":"x","Target":"/x"}""")));
        Assert.Equal("invalid mount config for type \"bind\": field VolumeOptions must not be specified",
            Error(() => Mount("""{"Type":"bind","Source":"/tmp","Target":"/x","VolumeOptions":{}}""")));
        Assert.Equal("invalid mount config for type \"bind\": invalid propagation mode: sideways",
            Error(() => Mount("""{"Type":"bind","Source":"/tmp","Target":"/x","BindOptions":{"Propagation":"sideways"}}""")));
    }

    [Fact]
    public void TmpfsAndVolumesFromParse()
    {
        var t = MountSyntax.ParseTmpfs("/run/", "rw,size=64m,mode=1777");
        Assert.Equal(("/run", false), (t.Destination, t.ReadOnly));
        Assert.Equal(["size=64m", "mode=1777"], t.TmpfsOptions);
        Assert.True(MountSyntax.ParseTmpfs("/r", "ro").ReadOnly);
        Assert.Equal(("web", (bool?)true), MountSyntax.ParseVolumesFrom("web:ro"));
        Assert.Equal(("web", (bool?)null), MountSyntax.ParseVolumesFrom("web"));
        Assert.Equal("invalid mode for volumes-from: z", Error(() => MountSyntax.ParseVolumesFrom("web:z")));
    }

    [Fact]
    public void SpecMountsAreOrderedByDepthAndReplaceADefaultAtTheSameDestination()
    {
        var spec = ContainerConsole.Runtime.Spec.DefaultSpec.Create("rootfs", ["sh"], "h");
        VolumeSpecMounts.Add(spec, [
            new MountPoint { Type = "bind", Source = "/h", Destination = "/data/cache", RW = false, Propagation = "rslave" },
            new MountPoint { Type = "volume", Source = "/v/_data", Destination = "/data" },
            new MountPoint { Type = "tmpfs", Destination = "/dev/shm", TmpfsOptions = ["size=1m"] },
        ]);
        var dests = spec.Mounts.Select(m => m.Destination).ToList();
        Assert.True(dests.IndexOf("/data") < dests.IndexOf("/data/cache"));
        Assert.Single(spec.Mounts, m => m.Destination == "/dev/shm");
        Assert.Equal(["rbind", "ro", "rslave"], spec.Mounts.Single(m => m.Destination == "/data/cache").Options);
        Assert.Equal(["rbind", "rw", "rprivate"], spec.Mounts.Single(m => m.Destination == "/data").Options);
        Assert.Equal(["nosuid", "nodev", "noexec", "size=1m", "rw"], spec.Mounts.Single(m => m.Destination == "/dev/shm").Options);
    }

    [Fact]
    public void RelabelChoosesTheSharedOrThePrivateLabelAndRefusesSystemDirectories()
    {
        Assert.Equal("system_u:object_r:container_file_t:s0", SeLinuxRelabel.LabelFor("z", "system_u:object_r:container_file_t:s0:c1,c2"));
        Assert.Equal("system_u:object_r:container_file_t:s0:c1,c2", SeLinuxRelabel.LabelFor("Z", "system_u:object_r:container_file_t:s0:c1,c2"));
        Assert.Equal("relabeling content in /usr is not allowed", Error(() => SeLinuxRelabel.Check("/usr")));
        SeLinuxRelabel.Check("/srv/data/app");
    }

    [Fact]
    public void StoreCreatesIdempotentlyRemovesAndSweepsUnfinishedVolumes()
    {
        var dir = Directory.CreateTempSubdirectory("cc-volstore-").FullName;
        try
        {
            var events = new EventBus();
            var store = new VolumeStore(dir, events, NullLogger<VolumeStore>.Instance);
            store.Load();
            var (v, created) = store.Create("data", null, new Dictionary<string, string> { ["k"] = "v" }, null);
            Assert.True(created);
            Assert.False(store.Create("data", "local", null, null).Created);
            var (anon, _) = store.Create(null, null, null, null);
            Assert.Matches("^[0-9a-f]{64}$", anon.Name);
            Assert.True(anon.IsAnonymous);
            Assert.True(Directory.Exists(store.DataPath("data")));
            Assert.Equal("plugin \"nfs\" not found", Error(() => store.Create("x", "nfs", null, null)).Split(": ")[1]);
            Assert.Contains("bind device /no/such is not an existing absolute directory",
                Error(() => store.Create("bv", null, null, new Dictionary<string, string> { ["o"] = "bind", ["device"] = "/no/such" })));
            Assert.False(Directory.Exists(Path.Combine(dir, "bv")));

            Directory.CreateDirectory(Path.Combine(dir, "half", "_data")); // no volume.json: a create that did not finish
            Directory.CreateDirectory(Path.Combine(dir, ".trash-old-1234", "_data")); // a removal that did not finish
            var reloaded = new VolumeStore(dir, events, NullLogger<VolumeStore>.Instance);
            reloaded.Load();
            Assert.Equal(["data", anon.Name], reloaded.List().Select(x => x.Name).Order(StringComparer.Ordinal).ToList().OrderBy(n => n != "data").ToList());
            Assert.Equal("v", reloaded.Get("data").Labels["k"]);
            Assert.False(Directory.Exists(Path.Combine(dir, "half")));
            Assert.False(Directory.Exists(Path.Combine(dir, ".trash-old-1234")));

            reloaded.Remove("data");
            Assert.Equal("get data: no such volume", Error(() => reloaded.Get("data")));
            Assert.False(Directory.Exists(Path.Combine(dir, "data")));
            var actions = events.Subscribe().History.Where(e => e.Type == "volume").Select(e => e.Action).ToList();
            Assert.Equal(["create", "create", "destroy"], actions);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
