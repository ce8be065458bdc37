using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ContainerConsole.Agent;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Agent.Engine.Volumes;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContainerConsole.Bench.Micro;

/// <summary>
/// The container's config.json as ContainerEngine.WriteSpec makes it at `docker create` (and again at each start):
/// SpecBuilder, the network's and namespace modes' parts, the generated serializer; then the same with the atomic
/// write (temp + fsync + rename) that follows it.
/// </summary>
[MemoryDiagnoser]
public class SpecBenchmarks
{
    private Scratch _scratch = null!;
    private NetworkManager _network = null!;
    private ContainerModel _container = null!;
    private string _containerDir = "";
    private string _bundle = "";

    [GlobalSetup]
    public void Setup()
    {
        _scratch = new Scratch();
        _network = Fixtures.Network(_scratch.Sub("data"), _scratch.Path);
        // docker run -d --name web -p 8080:80 -e MODE=prod -v data:/data --restart unless-stopped nginx
        _container = Fixtures.Container(0, _network);
        _container.MountPoints =
        [
            new MountPoint { Type = "volume", Name = "data", Source = Path.Combine(_scratch.Path, "volumes/data/_data"), Destination = "/data" },
        ];
        _containerDir = _scratch.Sub(_container.Id);
        _bundle = _scratch.Sub(_container.Id + "/bundle");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _network.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _scratch.Dispose();
    }

    private byte[] SpecJson()
    {
        var c = _container;
        var spec = SpecBuilder.Build(c, Path.Combine(_containerDir, "upper"), Path.Combine(_containerDir, "work"), overlayInRuntime: true);
        _network.ApplyToSpec(c, spec, _containerDir, joinNetns: null);
        NamespaceModes.Apply(spec, c.HostConfig, _ => throw new InvalidOperationException("no other containers"), starting: false);
        return JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeSpecJson.Default.RuntimeSpec);
    }

    [Benchmark]
    public byte[] ConfigJson() => SpecJson();

    [Benchmark]
    public void ConfigJsonAtomicWrite() => AtomicFile.Write(Path.Combine(_bundle, "config.json"), SpecJson());
}
