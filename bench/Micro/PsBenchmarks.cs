using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Bench.Micro;

/// <summary>
/// GET /containers/json (plain `docker ps`) over 500 running containers on the default bridge, each with a published
/// port: the list filter, DockerViews.Summary, NetworkViews.AddToSummary and the JSON the endpoint writes.
/// </summary>
[MemoryDiagnoser]
public class PsBenchmarks
{
    private const int Containers = 500;
    // The agent's HTTP JSON options: the web defaults with Docker's PascalCase names (Program.cs).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null };

    private Scratch _scratch = null!;
    private NetworkManager _network = null!;
    private List<ContainerModel> _newestFirst = [];

    [GlobalSetup]
    public void Setup()
    {
        _scratch = new Scratch();
        var dataRoot = _scratch.Sub("data");
        _network = Fixtures.Network(dataRoot, _scratch.Path);
        var bridge = _network.Get(NetworkManager.DefaultBridge);
        var store = new NetworkStore(Path.Combine(dataRoot, "network"));
        for (var n = 0; n < Containers; n++)
        {
            var c = Fixtures.Container(n, _network);
            var address = $"10.231.{(n + 2) / 256}.{(n + 2) % 256}";
            bridge.Endpoints[c.Id] = new EndpointRecord
            {
                ContainerId = c.Id, ContainerName = c.Name, EndpointId = c.Id[32..], Address = address,
                MacAddress = $"02:42:0a:e7:{(n + 2) / 256:x2}:{(n + 2) % 256:x2}", InterfaceName = "eth0",
            };
            // what Prepare and Attach record for a running container: its netns and its published ports
            store.Save(new SandboxRecord { ContainerId = c.Id, NetnsPath = $"/proc/{c.State.Pid}/ns/net", Ports = [new PublishedPort("tcp", 80, "0.0.0.0", 8000 + n)] });
            _newestFirst.Add(c);
        }
        _newestFirst.Reverse();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _network.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _scratch.Dispose();
    }

    [Benchmark]
    public byte[] Ps500Running()
    {
        var filter = new ContainerListFilter(DockerFilters.Parse(null, ContainerListFilter.Known), all: false, limit: 0,
            _ => throw new InvalidOperationException("no before/since"), _ => null, _ => false);
        var rows = filter.Apply(_newestFirst).Select(c =>
        {
            var summary = DockerViews.Summary(c, null, restarting: false);
            NetworkViews.AddToSummary(summary, c, _network);
            return summary;
        });
        return JsonSerializer.SerializeToUtf8Bytes(rows, Json);
    }
}
