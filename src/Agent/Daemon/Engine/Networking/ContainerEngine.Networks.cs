using System.Text.Json;

namespace ContainerConsole.Agent.Engine;

/// <summary>docker network connect/disconnect on a container, and the exposed ports -P publishes.</summary>
public sealed partial class ContainerEngine
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The request's exposed ports plus the image's (Docker merges them at create).</summary>
    private static Dictionary<string, JsonElement>? MergeExposedPorts(Dictionary<string, JsonElement>? requested, IEnumerable<string>? image)
    {
        if (image is null)
            return requested;
        var merged = requested ?? [];
        foreach (var port in image)
            merged.TryAdd(port, EmptyObject);
        return merged;
    }

    private static List<string> ExposedPortKeys(ContainerModel c) => [.. (c.Config.ExposedPorts ?? []).Keys];

    public async Task ConnectAsync(string idOrName, NetworkRecord n, EndpointConfig config, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var c = Get(idOrName);
            network.Connect(c, n, config);
            store.Save(c);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task DisconnectAsync(string idOrName, NetworkRecord n, bool force, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            var c = Get(idOrName);
            network.Disconnect(c, n, force);
            store.Save(c);
        }
        finally
        {
            _lock.Release();
        }
    }
}
