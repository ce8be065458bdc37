using System.Globalization;
using System.Net;
using System.Text.Json;
using ContainerConsole.Server.Agents;
using ContainerConsole.Web.Services;
using static ContainerConsole.Server.WebConsole.ConsoleJson;

namespace ContainerConsole.Server.WebConsole;

/// <summary>The container detail page's overview, read from the agent's inspect.</summary>
public sealed class ConsoleContainerDetails(AgentRegistry agents) : IContainerDetailsService
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public async Task<ContainerDetails> GetAsync(string host, string id, CancellationToken cancellationToken)
    {
        var agent = agents.Find(host) ?? throw new KeyNotFoundException($"No host is named '{host}'.");
        JsonElement inspect;
        try
        {
            inspect = await agent.Client.InspectContainerAsync(id, cancellationToken);
        }
        catch (DockerEngineException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new KeyNotFoundException($"No container '{id}' on {host}: {ex.Message}");
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            throw new ConsoleOperationException($"Could not inspect {id} on {host}: {ex.Message}", ex);
        }

        return Read(host, inspect);
    }

    /// <summary>The overview fields of a Docker inspect document; absent fields stay empty rather than failing.</summary>
    public static ContainerDetails Read(string host, JsonElement inspect)
    {
        var state = Child(inspect, "State");
        var config = Child(inspect, "Config");
        var hostConfig = Child(inspect, "HostConfig");
        var path = Text(inspect, "Path") ?? "";
        var args = Child(inspect, "Args") is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().Select(x => x.GetString() ?? "") : [];
        var restart = Child(hostConfig, "RestartPolicy");
        var restartName = Text(restart, "Name") is { Length: > 0 } r ? r : "no";
        var retries = Child(restart, "MaximumRetryCount") is { ValueKind: JsonValueKind.Number } m && m.GetInt32() > 0 ? $":{m.GetInt32()}" : "";
        var nanoCpus = Number(hostConfig, "NanoCpus");
        return new ContainerDetails(
            host,
            Text(inspect, "Id") ?? "",
            (Text(inspect, "Name") ?? "").TrimStart('/'),
            Text(config, "Image") ?? Text(inspect, "Image") ?? "",
            Text(state, "Status") ?? "",
            Text(Child(state, "Health"), "Status"),
            Child(state, "ExitCode") is { ValueKind: JsonValueKind.Number } code ? code.GetInt32() : null,
            Text(state, "Error") is { Length: > 0 } error ? error : null,
            Time(inspect, "Created"),
            Time(state, "StartedAt"),
            Time(state, "FinishedAt"),
            string.Join(' ', new[] { path }.Concat(args).Where(s => s.Length > 0)),
            Child(config, "Tty") is { ValueKind: JsonValueKind.True },
            Ports(Child(Child(inspect, "NetworkSettings"), "Ports")),
            Mounts(Child(inspect, "Mounts")),
            Networks(Child(Child(inspect, "NetworkSettings"), "Networks")),
            restartName + retries,
            Number(hostConfig, "Memory") is > 0 and var memory ? memory : null,
            nanoCpus is > 0 ? nanoCpus / 1e9 : null,
            Number(hostConfig, "PidsLimit") is > 0 and var pids ? pids : null,
            Child(config, "Labels") is { ValueKind: JsonValueKind.Object } labels
                ? labels.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                : new Dictionary<string, string>(),
            JsonSerializer.Serialize(inspect, Indented));
    }

    private static List<PortMapping> Ports(JsonElement ports)
    {
        var list = new List<PortMapping>();
        if (ports.ValueKind != JsonValueKind.Object)
        {
            return list;
        }

        foreach (var port in ports.EnumerateObject())
        {
            var parts = port.Name.Split('/');
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var privatePort))
            {
                continue;
            }

            var type = parts.Length > 1 ? parts[1] : "tcp";
            if (port.Value.ValueKind != JsonValueKind.Array || port.Value.GetArrayLength() == 0)
            {
                list.Add(new PortMapping(null, privatePort, null, type));
                continue;
            }

            foreach (var binding in port.Value.EnumerateArray())
            {
                int? hostPort = int.TryParse(Text(binding, "HostPort"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
                list.Add(new PortMapping(Text(binding, "HostIp"), privatePort, hostPort, type));
            }
        }

        return list;
    }

    private static List<MountInfo> Mounts(JsonElement mounts) =>
        mounts.ValueKind != JsonValueKind.Array
            ? []
            : mounts.EnumerateArray().Select(m => new MountInfo(
                Text(m, "Type") ?? "", Text(m, "Source") ?? Text(m, "Name"), Text(m, "Destination") ?? "",
                Child(m, "RW") is not { ValueKind: JsonValueKind.False })).ToList();

    private static List<NetworkAttachment> Networks(JsonElement networks) =>
        networks.ValueKind != JsonValueKind.Object
            ? []
            : networks.EnumerateObject().Select(n => new NetworkAttachment(n.Name, Text(n.Value, "IPAddress") is { Length: > 0 } ip ? ip : null)).ToList();
}
