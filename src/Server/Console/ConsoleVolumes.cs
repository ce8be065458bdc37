using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerConsole.Server.Agents;
using ContainerConsole.Web.Services;
using static ContainerConsole.Server.WebConsole.ConsoleJson;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The volumes page's service: every host's volumes with the containers mounting them (from the containers' Mounts);
/// create, remove and prune for operators, checked and audited (<c>volume.*</c>, source ui) by <see cref="ConsoleOperations"/>.
/// </summary>
public sealed class ConsoleVolumes(AgentRegistry agents, ConsoleOperations operations) : IVolumeService
{
    public async Task<VolumeList> ListAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(agents.Hosts.Select(async host =>
        {
            try
            {
                var listing = host.Client.ListVolumesAsync(cancellationToken);
                var containers = await host.Client.GetElementAsync("containers/json?all=1", cancellationToken);
                var users = Items(containers)
                    .SelectMany(c => Items(Child(c, "Mounts"))
                        .Where(m => Text(m, "Type") == "volume" && Text(m, "Name") is not null)
                        .Select(m => (Volume: Text(m, "Name")!, Container: new ContainerLink(host.Name, Text(c, "Id") ?? "", (Strings(Child(c, "Names")).FirstOrDefault() ?? "").TrimStart('/')))))
                    .ToLookup(u => u.Volume, u => u.Container);
                var volumes = Items(Child(await listing, "Volumes")).Select(v =>
                {
                    var name = Text(v, "Name") ?? "";
                    return new VolumeSummary(host.Name, name, Text(v, "Driver") ?? "local", Text(v, "Mountpoint"), Time(v, "CreatedAt"),
                        Map(Child(v, "Labels")), Number(Child(v, "UsageData"), "Size") is >= 0 and var size ? size : null, users[name].ToList());
                }).ToList();
                return (Volumes: volumes, Error: (HostError?)null);
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
            {
                return ([], new HostError(host.Name, ex.Message));
            }
        }));
        return new VolumeList([.. results.SelectMany(r => r.Volumes)], [.. results.Where(r => r.Error is not null).Select(r => r.Error!)]);
    }

    public Task CreateAsync(VolumeCreateRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["Name"] = request.Name,
            ["Driver"] = string.IsNullOrEmpty(request.Driver) ? "local" : request.Driver,
            ["DriverOpts"] = Object(request.DriverOptions),
            ["Labels"] = Object(request.Labels),
        };
        var name = string.IsNullOrEmpty(request.Name) ? "(anonymous)" : request.Name;
        return operations.RunAsync(new ConsoleOperation("volume.create", request.Host, name, "create volumes", $"create volume {name}"),
            async client => await client.CreateVolumeAsync(body, cancellationToken));
    }

    public Task RemoveAsync(string host, string name, bool force, CancellationToken cancellationToken) =>
        operations.RunAsync(new ConsoleOperation("volume.remove", host, name, "remove volumes", $"remove volume {name}"), async client =>
        {
            await client.RemoveVolumeAsync(name, force, cancellationToken);
            return true;
        });

    public Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken) =>
        operations.RunAsync(new ConsoleOperation("volume.prune", host, all ? "unused" : "anonymous", "prune volumes", "prune volumes"), async client =>
        {
            var answer = await client.PruneVolumesAsync(all, cancellationToken) ?? default;
            return new PruneResult(Strings(Child(answer, "VolumesDeleted")), Number(answer, "SpaceReclaimed") ?? 0);
        });

    internal static JsonObject Object(IReadOnlyDictionary<string, string> values) =>
        new(values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)JsonValue.Create(v.Value))));
}
