using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Metrics;

/// <summary>
/// The live figures <c>/metrics</c> exports: requests by method and status, hub connections by hub, each host's
/// reachability and each container's latest sample (kept by <see cref="MetricSampler"/>).
/// </summary>
public sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Method, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, int> _hubConnections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _hostUp = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Host, string Container), ContainerSample> _latest = new();

    public IEnumerable<KeyValuePair<(string Method, int Status), long>> Requests => _requests;

    public IEnumerable<KeyValuePair<string, int>> HubConnections => _hubConnections;

    public IEnumerable<KeyValuePair<string, bool>> HostUp => _hostUp;

    public IEnumerable<ContainerSample> LatestSamples => _latest.Values;

    public void CountRequest(string method, int status) => _requests.AddOrUpdate((method, status), 1, (_, n) => n + 1);

    public void HubConnected(string hub, int delta) => _hubConnections.AddOrUpdate(hub, Math.Max(delta, 0), (_, n) => n + delta);

    /// <summary>Records a sampling round of <paramref name="host"/>: reachable or not, and the samples of its running containers.</summary>
    public void RecordHost(string host, bool up, IReadOnlyCollection<ContainerSample> samples)
    {
        _hostUp[host] = up;
        if (!up)
        {
            return;
        }

        foreach (var key in _latest.Keys.Where(k => k.Host == host && !samples.Any(s => s.ContainerId == k.Container)))
        {
            _latest.TryRemove(key, out _); // stopped or removed since
        }

        foreach (var sample in samples)
        {
            _latest[(host, sample.ContainerId)] = sample;
        }
    }

    /// <summary>Forgets hosts no longer registered.</summary>
    public void KeepHosts(IReadOnlySet<string> hosts)
    {
        foreach (var host in _hostUp.Keys.Where(h => !hosts.Contains(h)))
        {
            _hostUp.TryRemove(host, out _);
        }

        foreach (var key in _latest.Keys.Where(k => !hosts.Contains(k.Host)))
        {
            _latest.TryRemove(key, out _);
        }
    }
}

/// <summary>Counts open hub connections per hub for <see cref="ServerMetrics"/>.</summary>
internal sealed class HubConnectionCounter(ServerMetrics metrics) : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        metrics.HubConnected(HubName(context.Hub), 1);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        metrics.HubConnected(HubName(context.Hub), -1);
        await next(context, exception);
    }

    private static string HubName(Hub hub)
    {
        var name = hub.GetType().Name;
        return (name.EndsWith("Hub", StringComparison.Ordinal) ? name[..^3] : name).ToLowerInvariant();
    }
}

/// <summary>Counts every HTTP request by method and final status, outermost in the pipeline.</summary>
internal sealed class RequestCounterStartupFilter(ServerMetrics metrics) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, following) =>
        {
            try
            {
                await following(context);
            }
            finally
            {
                metrics.CountRequest(context.Request.Method, context.Response.StatusCode);
            }
        });
        next(app);
    };
}
