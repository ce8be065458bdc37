using System.Text.Json;
using System.Text.Json.Nodes;
using ContainerConsole.Server.Agents;
using ContainerConsole.Web.Services;
using static ContainerConsole.Server.WebConsole.ConsoleJson;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The networks page's service: every host's networks with their attached containers (each network's inspect, as
/// Docker's list leaves them out); create, remove, connect, disconnect and prune for operators, checked and audited
/// (<c>network.*</c>, source ui) by <see cref="ConsoleOperations"/>.
/// </summary>
public sealed class ConsoleNetworks(AgentRegistry agents, ConsoleOperations operations) : INetworkService
{
    public async Task<NetworkList> ListAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(agents.Hosts.Select(async host =>
        {
            try
            {
                var list = await host.Client.ListNetworksAsync(cancellationToken);
                var networks = await Task.WhenAll(Items(list).Select(async n =>
                {
                    var id = Text(n, "Id") ?? "";
                    var detail = Child(n, "Containers") is { ValueKind: JsonValueKind.Object } listed && listed.EnumerateObject().Any()
                        ? n
                        : await InspectOrListedAsync(host.Client, id, n, cancellationToken);
                    return Read(host.Name, detail);
                }));
                return (Networks: networks.ToList(), Error: (HostError?)null);
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
            {
                return ([], new HostError(host.Name, ex.Message));
            }
        }));
        return new NetworkList([.. results.SelectMany(r => r.Networks)], [.. results.Where(r => r.Error is not null).Select(r => r.Error!)]);
    }

    public Task<string> CreateAsync(NetworkCreateRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["Name"] = request.Name,
            ["Driver"] = string.IsNullOrEmpty(request.Driver) ? "bridge" : request.Driver,
            ["Internal"] = request.Internal,
            ["CheckDuplicate"] = true,
            ["Labels"] = ConsoleVolumes.Object(request.Labels),
        };
        if (!string.IsNullOrWhiteSpace(request.Subnet))
        {
            var config = new JsonObject { ["Subnet"] = request.Subnet.Trim() };
            if (!string.IsNullOrWhiteSpace(request.Gateway))
            {
                config["Gateway"] = request.Gateway.Trim();
            }

            body["IPAM"] = new JsonObject { ["Driver"] = "default", ["Config"] = new JsonArray(config) };
        }

        return operations.RunAsync(new ConsoleOperation("network.create", request.Host, request.Name, "create networks", $"create network {request.Name}"),
            async client => Text(await client.CreateNetworkAsync(body, cancellationToken) ?? default, "Id") ?? "");
    }

    public Task RemoveAsync(string host, string network, CancellationToken cancellationToken) =>
        operations.RunAsync(new ConsoleOperation("network.remove", host, network, "remove networks", $"remove network {network}"), async client =>
        {
            await client.RemoveNetworkAsync(network, cancellationToken);
            return true;
        });

    public Task ConnectAsync(string host, string network, string container, bool connect, CancellationToken cancellationToken)
    {
        var verb = connect ? "connect" : "disconnect";
        return operations.RunAsync(
            new ConsoleOperation($"network.{verb}", host, $"{network}/{container}", $"{verb} containers", $"{verb} {container} {(connect ? "to" : "from")} {network}"),
            async client =>
            {
                await client.ConnectNetworkAsync(network, connect, new JsonObject { ["Container"] = container }, cancellationToken);
                return true;
            });
    }

    public Task<PruneResult> PruneAsync(string host, CancellationToken cancellationToken) =>
        operations.RunAsync(new ConsoleOperation("network.prune", host, "unused", "prune networks", "prune networks"), async client =>
            new PruneResult(Strings(Child(await client.PruneNetworksAsync(cancellationToken) ?? default, "NetworksDeleted")), 0));

    /// <summary>The network's inspect; the listed entry when it went away in between.</summary>
    private static async Task<JsonElement> InspectOrListedAsync(DockerEngineClient client, string id, JsonElement listed, CancellationToken cancellationToken)
    {
        try
        {
            return await client.InspectNetworkAsync(id, cancellationToken);
        }
        catch (DockerEngineException ex) when (ConsoleOperations.IsNotFound(ex))
        {
            return listed;
        }
    }

    private static NetworkSummary Read(string host, JsonElement network) => new(
        host,
        Text(network, "Id") ?? "",
        Text(network, "Name") ?? "",
        Text(network, "Driver") ?? "",
        Items(Child(Child(network, "IPAM"), "Config"))
            .Where(c => Text(c, "Subnet") is { Length: > 0 })
            .Select(c => new NetworkSubnet(Text(c, "Subnet")!, Text(c, "Gateway") is { Length: > 0 } g ? g : null)).ToList(),
        Child(network, "Internal") is { ValueKind: JsonValueKind.True },
        Map(Child(network, "Labels")),
        Child(network, "Containers") is { ValueKind: JsonValueKind.Object } containers
            ? containers.EnumerateObject().Select(c => new NetworkEndpoint(
                new ContainerLink(host, c.Name, Text(c.Value, "Name") ?? c.Name[..Math.Min(12, c.Name.Length)]),
                Text(c.Value, "IPv4Address") is { Length: > 0 } ip ? ip : null)).ToList()
            : []);
}
