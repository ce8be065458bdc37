using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Infrastructure.EntityConfigurations;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Audit;

/// <summary>
/// Follows <c>GET /events</c> of every registered agent and writes the events worth auditing (container
/// start/stop/die/oom/kill and exec, image pull/push/delete/tag, builds) to the audit log. After a dropped
/// stream it reconnects with <c>since=</c> the last event it saw; replayed events are stored once.
/// </summary>
public sealed class AgentEventRecorder(
    AgentRegistry registry,
    AuditLog audit,
    IOptions<ServerOptions> options,
    TimeProvider time,
    ILogger<AgentEventRecorder> logger) : BackgroundService
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, HashSet<string>> AuditedActions = new(StringComparer.Ordinal)
    {
        ["container"] = new(StringComparer.Ordinal) { "start", "stop", "die", "oom", "kill", "exec_create", "exec_start" },
        ["image"] = new(StringComparer.Ordinal) { "pull", "push", "delete", "tag", "build" },
        ["builder"] = new(StringComparer.Ordinal) { "build" },
    };

    private readonly SemaphoreSlim _changed = new(0);
    private readonly Dictionary<int, Watcher> _watchers = [];

    /// <summary>True for the events the audit log keeps.</summary>
    public static bool IsAudited(DockerEvent message) =>
        AuditedActions.TryGetValue(message.Type, out var actions) && actions.Contains(Verb(message.Action));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        registry.Changed += OnRegistryChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Reconcile(stoppingToken);
                await _changed.WaitAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            registry.Changed -= OnRegistryChanged;
            foreach (var watcher in _watchers.Values)
            {
                await watcher.StopAsync();
            }

            _watchers.Clear();
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    private void OnRegistryChanged() => _changed.Release();

    /// <summary>One watcher per host; a host whose address changed gets a new one.</summary>
    private void Reconcile(CancellationToken stoppingToken)
    {
        var hosts = registry.Hosts;
        foreach (var (id, watcher) in _watchers.ToList())
        {
            if (!hosts.Any(h => ReferenceEquals(h.Client, watcher.Host.Client) && h.Name == watcher.Host.Name))
            {
                _ = watcher.StopAsync();
                _watchers.Remove(id);
            }
        }

        foreach (var host in hosts.Where(h => !_watchers.ContainsKey(h.Id)))
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _watchers[host.Id] = new Watcher(host, stop, Task.Run(() => WatchAsync(host, stop.Token), CancellationToken.None));
        }
    }

    private async Task WatchAsync(AgentHost host, CancellationToken cancellationToken)
    {
        var initialDelay = options.Value.EventReconnectDelay;
        var delay = initialDelay;
        long? resumeFrom = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Resume after what is stored; on a host never heard from, start from now rather than replay its history.
                resumeFrom ??= await audit.LastEventTimeNanoAsync(host.Name, cancellationToken) ?? time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
                logger.LogDebug("Following the events of {Host} since {Since}", host.Name, resumeFrom);
                await foreach (var message in host.Client.StreamEventsAsync(resumeFrom, cancellationToken))
                {
                    delay = initialDelay;
                    if (IsAudited(message))
                    {
                        await audit.TryWriteEventAsync(ToEntry(host.Name, message), cancellationToken);
                    }

                    resumeFrom = Math.Max(resumeFrom.Value, message.TimeNano);
                }

                logger.LogDebug("The event stream of {Host} ended", host.Name);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException or HttpRequestException or IOException or ObjectDisposedException)
            {
                logger.LogDebug("The event stream of {Host} failed: {Error}; retrying in {Delay}", host.Name, ex.Message, delay);
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
        }
    }

    private static AuditEntryEntity ToEntry(string host, DockerEvent message)
    {
        var verb = Verb(message.Action);
        var actor = message.Actor?.Id ?? "";
        var details = message.Actor?.Attributes is { Count: > 0 } attributes
            ? JsonSerializer.Serialize(attributes, DockerJsonContext.Default.DictionaryStringString)
            : null;
        if (details is { Length: > AuditEntryConfiguration.MaxDetailsLength })
        {
            details = details[..AuditEntryConfiguration.MaxDetailsLength];
        }

        var timeNano = message.TimeNano != 0 ? message.TimeNano : message.Time * 1_000_000_000;
        return new AuditEntryEntity
        {
            Time = DateTimeOffset.UnixEpoch.AddTicks(timeNano / 100),
            Source = AuditLog.SourceAgent,
            Action = $"{message.Type}.{verb}",
            Target = actor.Length <= 512 ? actor : actor[..512],
            Host = host,
            Result = "event",
            Details = details,
            EventTimeNano = timeNano,
            EventKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                $"{host}\n{timeNano}\n{message.Type}\n{message.Action}\n{actor}"))),
        };
    }

    /// <summary><c>exec_start: sh -c date</c> is the verb <c>exec_start</c>.</summary>
    private static string Verb(string action)
    {
        var colon = action.IndexOf(':', StringComparison.Ordinal);
        return (colon < 0 ? action : action[..colon]).Trim();
    }

    private sealed record Watcher(AgentHost Host, CancellationTokenSource Stop, Task Task)
    {
        public async Task StopAsync()
        {
            await Stop.CancelAsync();
            try
            {
                await Task;
            }
            catch (Exception)
            {
                // The watcher logs its own failures; stopping must not throw.
            }

            Stop.Dispose();
        }
    }
}
