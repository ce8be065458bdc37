using System.Globalization;
using ContainerConsole.Web.Components.Charts;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// The landing page: container counts, images and disk use per host and in total, the containers' CPU and memory now
/// and over the last hour (graphs from the metric history), and the newest events, live.
/// </summary>
public partial class Dashboard
{
    public static readonly TimeSpan HistoryRange = TimeSpan.FromHours(1);
    public const int RecentEvents = 15;

    private Task? _events;

    [Inject]
    private IDashboardService DashboardService { get; set; } = default!;

    [Inject]
    private IEventFeed EventFeed { get; set; } = default!;

    internal DashboardSnapshot? Snapshot { get; private set; }

    /// <summary>Every host's figures added up (cores and memory too: the capacity of all hosts together).</summary>
    internal HostOverview Totals { get; private set; } = Sum([]);

    internal List<ConsoleEvent> Recent { get; } = [];

    private string? EventsError { get; set; }

    private List<ChartSeries> CpuSeries { get; set; } = [];

    private List<ChartSeries> MemorySeries { get; set; } = [];

    protected override TimeSpan RefreshInterval => TimeSpan.FromSeconds(10);

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        var snapshot = await DashboardService.GetAsync(HistoryRange, cancellationToken);
        Snapshot = snapshot;
        Totals = Sum(snapshot.Hosts);
        CpuSeries = [.. snapshot.History.Select((h, i) => new ChartSeries(h.Host, $"tone-{i % 6}", [.. h.Points.Select(p => new ChartPoint(p.Time, p.CpuPercent))]))];
        MemorySeries = [.. snapshot.History.Select((h, i) => new ChartSeries(h.Host, $"tone-{i % 6}", [.. h.Points.Select(p => new ChartPoint(p.Time, p.MemoryBytes))]))];
    }

    protected override void OnAfterRender(bool firstRender)
    {
        base.OnAfterRender(firstRender);
        if (firstRender && RendererInfo.IsInteractive)
        {
            _events = FollowEventsAsync();
        }
    }

    /// <summary>Keeps the newest <see cref="RecentEvents"/> events; stops with the reason when the feed ends in an error.</summary>
    private async Task FollowEventsAsync()
    {
        try
        {
            await foreach (var e in EventFeed.WatchAsync(Stopping))
            {
                // On the renderer's dispatcher: a render may be reading the list.
                await InvokeAsync(() =>
                {
                    Recent.Insert(0, e);
                    if (Recent.Count > RecentEvents)
                    {
                        Recent.RemoveAt(Recent.Count - 1);
                    }

                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            EventsError = ex.Message;
            await InvokeAsync(StateHasChanged);
        }
    }

    internal static HostOverview Sum(IReadOnlyList<HostOverview> hosts) => new(
        "all", null,
        hosts.Sum(h => h.Running), hosts.Sum(h => h.Paused), hosts.Sum(h => h.Stopped), hosts.Sum(h => h.Images),
        hosts.Sum(h => h.ImagesBytes), hosts.Sum(h => h.ContainersBytes), hosts.Sum(h => h.VolumesBytes),
        hosts.Sum(h => h.Cpus), hosts.Sum(h => h.MemoryTotal), hosts.Sum(h => h.ContainersCpuPercent), hosts.Sum(h => h.ContainersMemoryBytes));

    private static string CpuText(double percent) => percent.ToString(percent < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " %";

    private static string ShortId(string? id) => id is { Length: > 12 } ? id[..12] : id ?? "";
}
