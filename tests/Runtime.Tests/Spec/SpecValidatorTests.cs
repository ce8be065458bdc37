using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.Tests.TestSupport;

namespace ContainerConsole.Runtime.Tests.Spec;

public class SpecValidatorTests : IDisposable
{
    private readonly TempDirectory _tmp = new();
    private readonly string _bundle;

    public SpecValidatorTests()
    {
        _bundle = _tmp.CreateDirectory("bundle");
        _tmp.WriteExecutable("bundle/rootfs/bin/sh");
        _tmp.WriteExecutable("hook");
    }

    public void Dispose() => _tmp.Dispose();

    private static RuntimeSpec Valid() => DefaultSpec.Create("rootfs", ["sh", "-c", "true"]);

    private string Reject(RuntimeSpec spec) =>
        Assert.Throws<SpecValidationException>(() => SpecValidator.Validate(spec, _bundle)).Message;

    private static LinuxNamespace Ns(string type, string? path = null) => new() { Type = type, Path = path };

    [Fact]
    public void DefaultSpecIsValidAndRootfsIsAbsolute() =>
        Assert.Equal(Path.Combine(_bundle, "rootfs"), SpecValidator.Validate(Valid(), _bundle));

    [Fact]
    public void AbsoluteRootPathIsKept()
    {
        var spec = Valid();
        spec.Root!.Path = Path.Combine(_bundle, "rootfs");
        Assert.Equal(Path.Combine(_bundle, "rootfs"), SpecValidator.Validate(spec, _bundle));
    }

    [Fact]
    public void MissingRootPath()
    {
        var spec = Valid();
        spec.Root = null;
        Assert.Equal("root.path: missing", Reject(spec));
        spec.Root = new Root { Path = "" };
        Assert.Equal("root.path: missing", Reject(spec));
    }

    [Fact]
    public void MissingRootfsDirectory()
    {
        var spec = Valid();
        spec.Root!.Path = "nope";
        Assert.Equal($"root.path: rootfs {Path.Combine(_bundle, "nope")} does not exist", Reject(spec));
    }

    [Fact]
    public void MissingProcess()
    {
        var spec = Valid();
        spec.Process = null;
        Assert.Equal("process: missing", Reject(spec));
    }

    [Fact]
    public void EmptyArgs()
    {
        var spec = Valid();
        spec.Process!.Args = [];
        Assert.Equal("process.args: must name a program", Reject(spec));
        spec.Process.Args = ["", "x"];
        Assert.Equal("process.args: must name a program", Reject(spec));
    }

    [Fact]
    public void RelativeCwd()
    {
        var spec = Valid();
        spec.Process!.Cwd = "app";
        Assert.Equal("process.cwd: \"app\" is not absolute", Reject(spec));
    }

    [Fact]
    public void UnknownNamespaceType()
    {
        var spec = Valid();
        spec.Linux!.Namespaces.Add(Ns("foo"));
        Assert.Equal("linux.namespaces: unknown namespace type \"foo\"", Reject(spec));
    }

    [Fact]
    public void DuplicateNamespace()
    {
        var spec = Valid();
        spec.Linux!.Namespaces.Add(Ns("pid"));
        Assert.Equal("linux.namespaces: \"pid\" listed twice", Reject(spec));
    }

    [Fact]
    public void NamespacePathMustExist()
    {
        var spec = Valid();
        spec.Linux!.Namespaces.RemoveAll(n => n.Type == "network");
        spec.Linux.Namespaces.Add(Ns("network", "/proc/999999999/ns/net"));
        Assert.Equal("linux.namespaces: network namespace path /proc/999999999/ns/net does not exist", Reject(spec));

        spec.Linux.Namespaces[^1].Path = $"/proc/{Environment.ProcessId}/ns/net";
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void NewUserNamespaceNeedsBothMappings()
    {
        var spec = Valid();
        spec.Linux!.Namespaces.Add(Ns("user"));
        Assert.StartsWith("linux.uidMappings/gidMappings:", Reject(spec));

        spec.Linux.UidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        Assert.StartsWith("linux.uidMappings/gidMappings:", Reject(spec));

        spec.Linux.GidMappings = [new IdMapping { ContainerID = 0, HostID = 100000, Size = 65536 }];
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void JoinedUserNamespaceNeedsNoMappings()
    {
        var spec = Valid();
        spec.Linux!.Namespaces.Add(Ns("user", $"/proc/{Environment.ProcessId}/ns/user"));
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void HostnameNeedsUtsNamespace()
    {
        var spec = Valid();
        spec.Linux!.Namespaces.RemoveAll(n => n.Type == "uts");
        Assert.Equal("hostname: setting a hostname needs a new uts namespace", Reject(spec));
        spec.Hostname = null;
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void RelativeMountDestination()
    {
        var spec = Valid();
        spec.Mounts.Add(new Mount { Destination = "tmp", Type = "tmpfs", Source = "tmpfs" });
        Assert.Equal("mounts: destination \"tmp\" is not absolute", Reject(spec));
    }

    [Theory]
    [InlineData(null, "rbind")]
    [InlineData("bind", "ro")]
    public void MissingBindSource(string? type, string option)
    {
        var spec = Valid();
        var missing = _tmp["no-such-dir"];
        spec.Mounts.Add(new Mount { Destination = "/data", Type = type, Source = missing, Options = [option] });
        Assert.Equal($"mounts: bind source \"{missing}\" for /data does not exist", Reject(spec));

        spec.Mounts[^1].Source = null;
        Assert.Equal("mounts: bind source \"\" for /data does not exist", Reject(spec));
    }

    [Fact]
    public void ExistingBindSourcesPass()
    {
        var spec = Valid();
        spec.Mounts.Add(new Mount { Destination = "/data", Type = "bind", Source = _tmp.CreateDirectory("data"), Options = ["rbind"] });
        spec.Mounts.Add(new Mount { Destination = "/etc/hosts", Source = _tmp.WriteFile("hosts"), Options = ["bind", "ro"] });
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void NonNamespacedSysctlIsRejected()
    {
        var spec = Valid();
        spec.Linux!.Sysctl["kernel.panic"] = "1";
        Assert.Equal("linux.sysctl: kernel.panic is not namespaced; it would change the host", Reject(spec));
    }

    [Fact]
    public void NetSysctlNeedsNetworkNamespace()
    {
        var spec = Valid();
        spec.Linux!.Sysctl["net.ipv4.ip_forward"] = "1";
        SpecValidator.Validate(spec, _bundle);
        spec.Linux.Namespaces.RemoveAll(n => n.Type == "network");
        Assert.Equal("linux.sysctl: net.ipv4.ip_forward needs a new network namespace", Reject(spec));
    }

    [Theory]
    [InlineData("kernel.shmmax")]
    [InlineData("kernel.msgmnb")]
    [InlineData("fs.mqueue.msg_max")]
    public void IpcSysctlNeedsIpcNamespace(string key)
    {
        var spec = Valid();
        spec.Linux!.Sysctl[key] = "1";
        SpecValidator.Validate(spec, _bundle);
        spec.Linux.Namespaces.RemoveAll(n => n.Type == "ipc");
        Assert.Equal($"linux.sysctl: {key} needs a new ipc namespace", Reject(spec));
    }

    [Fact]
    public void HostnameSysctlsAreAllowed()
    {
        var spec = Valid();
        spec.Linux!.Sysctl["kernel.hostname"] = "x";
        spec.Linux.Sysctl["kernel.domainname"] = "y";
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void UnknownRlimit()
    {
        var spec = Valid();
        spec.Process!.Rlimits.Add(new Rlimit { Type = "RLIMIT_FOO", Soft = 1, Hard = 1 });
        Assert.Equal("process.rlimits: unknown rlimit \"RLIMIT_FOO\"", Reject(spec));
    }

    [Fact]
    public void RlimitSoftAboveHard()
    {
        var spec = Valid();
        spec.Process!.Rlimits.Add(new Rlimit { Type = "RLIMIT_NOFILE", Soft = 2048, Hard = 1024 });
        Assert.Equal("process.rlimits: RLIMIT_NOFILE soft limit above hard limit", Reject(spec));
        spec.Process.Rlimits[0].Soft = 1024;
        SpecValidator.Validate(spec, _bundle);
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(-1001)]
    [InlineData(int.MaxValue)]
    public void OomScoreAdjOutOfRange(int value)
    {
        var spec = Valid();
        spec.Process!.OomScoreAdj = value;
        Assert.Equal($"process.oomScoreAdj: {value} is outside -1000..1000", Reject(spec));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(-1000)]
    [InlineData(0)]
    public void OomScoreAdjInRange(int value)
    {
        var spec = Valid();
        spec.Process!.OomScoreAdj = value;
        SpecValidator.Validate(spec, _bundle);
    }

    [Theory]
    [InlineData("bounding")]
    [InlineData("effective")]
    [InlineData("permitted")]
    [InlineData("inheritable")]
    [InlineData("ambient")]
    public void UnknownCapabilityNamesTheSet(string set)
    {
        var spec = Valid();
        var caps = spec.Process!.Capabilities!;
        var list = set switch
        {
            "bounding" => caps.Bounding,
            "effective" => caps.Effective,
            "permitted" => caps.Permitted,
            "inheritable" => caps.Inheritable,
            _ => caps.Ambient,
        };
        list.Add("CAP_FOO");
        Assert.Equal($"process.capabilities.{set}: unknown capability \"CAP_FOO\"", Reject(spec));
    }

    [Fact]
    public void EnvWithoutEquals()
    {
        var spec = Valid();
        spec.Process!.Env.Add("FOO");
        Assert.Equal("process.env: \"FOO\" is not KEY=value", Reject(spec));
    }

    [Fact]
    public void HookPathMustExistAndBeAbsolute()
    {
        var spec = Valid();
        spec.Hooks = new Hooks { Poststop = [new Hook { Path = "/no/such/hook" }] };
        Assert.Equal("hooks: /no/such/hook does not exist", Reject(spec));

        spec.Hooks.Poststop[0].Path = _tmp["hook"];
        SpecValidator.Validate(spec, _bundle);

        spec.Hooks.CreateRuntime = [new Hook { Path = "hook" }];
        Assert.Equal("hooks: path \"hook\" is not absolute", Reject(spec));

        // startContainer hooks are resolved inside the container: no host check, but absolute.
        spec.Hooks.CreateRuntime = [];
        spec.Hooks.StartContainer = [new Hook { Path = "/only/in/the/container" }];
        SpecValidator.Validate(spec, _bundle);
    }

    [Fact]
    public void AllHooksListsEveryPhaseInOrder()
    {
        var hooks = new Hooks
        {
            Prestart = [new Hook { Path = "/1" }], CreateRuntime = [new Hook { Path = "/2" }], CreateContainer = [new Hook { Path = "/3" }],
            StartContainer = [new Hook { Path = "/4" }], Poststart = [new Hook { Path = "/5" }], Poststop = [new Hook { Path = "/6" }],
        };
        Assert.Equal(["/1", "/2", "/3", "/4", "/5", "/6"], SpecValidator.AllHooks(hooks).Select(h => h.Path));
        Assert.Empty(SpecValidator.AllHooks(null));
    }

    [Fact]
    public void UnknownRootfsPropagation()
    {
        var spec = Valid();
        spec.Linux!.RootfsPropagation = "sideways";
        Assert.Equal("linux.rootfsPropagation: unknown propagation \"sideways\"", Reject(spec));
    }

    [Theory]
    [InlineData("x", "/dev/foo")]
    [InlineData("c", "/tmp/foo")]
    [InlineData("c", "dev/foo")]
    public void InvalidDevice(string type, string path)
    {
        var spec = Valid();
        spec.Linux!.Devices.Add(new LinuxDevice { Type = type, Path = path, Major = 1, Minor = 3 });
        Assert.Equal($"linux.devices: invalid device {type} {path}", Reject(spec));
    }

    [Fact]
    public void ExecutableMustExistInTheRootfs()
    {
        var spec = Valid();
        spec.Process!.Args = ["nothere"];
        Assert.Equal("exec: \"nothere\": executable file not found in $PATH", Reject(spec));
    }

    [Fact]
    public void An_executable_a_bind_mount_brings_in_is_left_to_init()
    {
        var spec = Valid();
        spec.Process!.Args = ["/sbin/docker-init", "--", "true"];
        Assert.Equal("exec: \"/sbin/docker-init\": stat /sbin/docker-init: no such file or directory", Reject(spec));
        spec.Mounts.Add(new Mount { Destination = "/sbin/docker-init", Type = "bind", Source = "/bin/true", Options = ["bind", "ro"] });
        SpecValidator.Validate(spec, _bundle);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("web-1")]
    [InlineData("a.b_c+d")]
    [InlineData("ABC123")]
    [InlineData("...")]
    public void ValidIds(string id) => SpecValidator.ValidateId(id);

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    [InlineData("../up")]
    [InlineData("a b")]
    [InlineData("a\\b")]
    [InlineData("abc\n")]
    [InlineData("a\nb")]
    [InlineData("a:b")]
    public void InvalidIds(string id)
    {
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.ValidateId(id));
        Assert.Equal($"invalid container id \"{id}\"", e.Message);
    }

    [Fact]
    public void LoadWithoutConfigJson()
    {
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.Load(_bundle));
        Assert.Equal($"bundle {_bundle}: config.json not found", e.Message);
    }

    [Theory]
    [InlineData("{ \"process\": ")]
    [InlineData("not json")]
    [InlineData("{\"process\": {\"args\": \"sh\"}}")]
    public void LoadOfInvalidJsonSaysSo(string json)
    {
        File.WriteAllText(Path.Combine(_bundle, "config.json"), json);
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.Load(_bundle));
        Assert.StartsWith($"{Path.Combine(_bundle, "config.json")}: invalid JSON", e.Message);
    }

    [Fact]
    public void LoadOfNullDocument()
    {
        File.WriteAllText(Path.Combine(_bundle, "config.json"), "null");
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.Load(_bundle));
        Assert.EndsWith(": empty document", e.Message);
    }

    [Fact]
    public void LoadReadsOciCamelCaseWithCommentsAndTrailingCommas()
    {
        File.WriteAllText(Path.Combine(_bundle, "config.json"), """
            {
              // written by hand
              "ociVersion": "1.0.2",
              "root": { "path": "rootfs", "readonly": true },
              "process": { "args": ["sh"], "cwd": "/", "user": { "uid": 1000, "gid": 100, "additionalGids": [5, 6] },
                           "rlimits": [{ "type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096 }], "noNewPrivileges": true },
              "hostname": "h",
              "linux": {
                "namespaces": [{ "type": "pid" }, { "type": "uts" }, { "type": "user" }],
                "uidMappings": [{ "containerID": 0, "hostID": 100000, "size": 65536 }],
                "gidMappings": [{ "containerID": 0, "hostID": 200000, "size": 1 }],
                "rootfsPropagation": "rslave",
              },
            }
            """);
        var spec = SpecValidator.Load(_bundle);
        Assert.Equal("1.0.2", spec.OciVersion);
        Assert.True(spec.Root!.Readonly);
        Assert.Equal(1000u, spec.Process!.User.Uid);
        Assert.Equal([5u, 6u], spec.Process.User.AdditionalGids);
        Assert.Equal(4096UL, spec.Process.Rlimits[0].Hard);
        Assert.True(spec.Process.NoNewPrivileges);
        Assert.Equal(["pid", "uts", "user"], spec.Linux!.Namespaces.Select(n => n.Type));
        Assert.Equal(100000u, spec.Linux.UidMappings[0].HostID);
        Assert.Equal(200000u, spec.Linux.GidMappings[0].HostID);
        Assert.Equal("rslave", spec.Linux.RootfsPropagation);
        Assert.Equal(Path.Combine(_bundle, "rootfs"), SpecValidator.Validate(spec, _bundle));
    }

    // --- overlay rootfs: root.path is an empty mount point, the layers hold the files ---

    private RuntimeSpec OverlaySpec(string lower, string? upper = "upper", string? work = "work")
    {
        _tmp.CreateDirectory("bundle/empty-root");
        var spec = DefaultSpec.Create("empty-root", ["app"]);
        spec.Annotations[InitPlanner.OverlayLowerAnnotation] = lower;
        if (upper is not null)
            spec.Annotations[InitPlanner.OverlayUpperAnnotation] = _tmp[upper];
        if (work is not null)
            spec.Annotations[InitPlanner.OverlayWorkAnnotation] = _tmp[work];
        return spec;
    }

    private void MakeLayers()
    {
        _tmp.CreateDirectory("upper");
        _tmp.CreateDirectory("work");
        _tmp.CreateDirectory("l1/etc");
        _tmp.WriteExecutable("l2/usr/bin/app");
    }

    [Fact]
    public void OverlayLowerWithoutUpperIsRejected()
    {
        MakeLayers();
        var e = Reject(OverlaySpec(_tmp["l1"], upper: null));
        Assert.Equal($"annotations: {InitPlanner.OverlayLowerAnnotation} needs upperdir and workdir annotations too", e);
        Assert.Equal(e, Reject(OverlaySpec(_tmp["l1"], work: null)));
    }

    [Fact]
    public void OverlayMissingLayerIsRejected()
    {
        MakeLayers();
        var missing = _tmp["l3"];
        Assert.Equal($"annotations: overlay layer {missing} does not exist", Reject(OverlaySpec($"{_tmp["l1"]}:{missing}")));
        Assert.Equal($"annotations: overlay layer {_tmp["upper-gone"]} does not exist", Reject(OverlaySpec(_tmp["l1"], upper: "upper-gone")));
    }

    [Fact]
    public void OverlayExecutableInALowerLayerPasses()
    {
        MakeLayers();
        Assert.Equal(Path.Combine(_bundle, "empty-root"), SpecValidator.Validate(OverlaySpec($"{_tmp["l1"]}:{_tmp["l2"]}"), _bundle));
    }

    [Fact]
    public void OverlayExecutableInTheUpperLayerPasses()
    {
        MakeLayers();
        _tmp.WriteExecutable("upper/bin/app");
        SpecValidator.Validate(OverlaySpec(_tmp["l1"]), _bundle);
    }

    [Fact]
    public void OverlayExecutableInNoLayerIsRejected()
    {
        MakeLayers();
        Assert.Equal("exec: \"app\": executable file not found in $PATH", Reject(OverlaySpec(_tmp["l1"])));
    }
}
