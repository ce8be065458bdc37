using System.Globalization;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Resources;

/// <summary>
/// A container's resource use: the last <see cref="LiveWindow"/> of 1 s samples while live, or the recorded history of
/// a range; and, for operators, its memory/CPU/pids limits changed live (docker update), so the effect shows in the graph.
/// </summary>
public partial class ResourcesView : IAsyncDisposable
{
    /// <summary>How much the live graphs show.</summary>
    public static readonly TimeSpan LiveWindow = TimeSpan.FromMinutes(2);

    private static readonly (string Key, string Title)[] Ranges =
        [("live", "Live"), ("15m", "15 min"), ("1h", "1 h"), ("24h", "24 h"), ("7d", "7 d")];

    private readonly RingBuffer<ResourceSample> _live = new((int)LiveWindow.TotalSeconds + 10);
    private CancellationTokenSource? _watch;
    private Task? _watching;

    [Inject]
    private IContainerResources Resources { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    /// <summary>Whether the limits form is shown (the server checks the role again).</summary>
    [Parameter]
    public bool CanOperate { get; set; }

    [Parameter]
    public long? MemoryLimitBytes { get; set; }

    [Parameter]
    public double? Cpus { get; set; }

    [Parameter]
    public long? PidsLimit { get; set; }

    internal string Range { get; private set; } = "live";

    internal IReadOnlyList<ResourceSample> Samples { get; private set; } = [];

    private DateTimeOffset From { get; set; }

    private DateTimeOffset To { get; set; }

    private bool Loading { get; set; }

    private string? LoadError { get; set; }

    /// <summary>The limit the newest sample reports (it follows a live change), when the container has one.</summary>
    private double? MemoryLimit => Samples.Count > 0 && MemoryLimitBytes is not null ? Samples[^1].MemoryLimitBytes : MemoryLimitBytes;

    private string MemoryText { get; set; } = "";

    private string CpusText { get; set; } = "";

    private string PidsText { get; set; } = "";

    private bool Applying { get; set; }

    private string? ApplyError { get; set; }

    private string? Applied { get; set; }

    private Dictionary<string, string> LimitErrors { get; set; } = [];

    protected override void OnInitialized()
    {
        MemoryText = MemoryLimitBytes is { } m ? (m % (1024 * 1024) == 0 ? $"{m / (1024 * 1024)}m" : m.ToString(CultureInfo.InvariantCulture)) : "";
        CpusText = Cpus?.ToString(CultureInfo.InvariantCulture) ?? "";
        PidsText = PidsLimit?.ToString(CultureInfo.InvariantCulture) ?? "";
        To = Time.GetUtcNow();
        From = To - LiveWindow;
        if (RendererInfo.IsInteractive)
        {
            StartLive();
        }
    }

    private void StartLive()
    {
        _watch = new CancellationTokenSource();
        _watching = WatchAsync(_watch.Token);
    }

    private async Task StopLiveAsync()
    {
        if (_watch is not null)
        {
            await _watch.CancelAsync();
            if (_watching is not null)
            {
                await _watching;
            }

            _watch.Dispose();
            _watch = null;
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var sample in Resources.LiveAsync(Host, ContainerId, cancellationToken))
            {
                await InvokeAsync(() =>
                {
                    _live.Add(sample);
                    ShowLive();
                    LoadError = null;
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            await InvokeAsync(() =>
            {
                LoadError = ex.Message;
                StateHasChanged();
            });
        }
    }

    /// <summary>The live window ends at the newest sample, so the graph scrolls with the container's clock.</summary>
    internal void ShowLive()
    {
        Samples = [.. _live.Slice(0, _live.Count)];
        To = Samples.Count > 0 ? Samples[^1].Time : Time.GetUtcNow();
        From = To - LiveWindow;
    }

    internal async Task SelectRangeAsync(string range)
    {
        if (range == Range)
        {
            return;
        }

        Range = range;
        LoadError = null;
        if (range == "live")
        {
            ShowLive();
            StartLive();
            return;
        }

        await StopLiveAsync();
        var span = range switch
        {
            "15m" => TimeSpan.FromMinutes(15),
            "1h" => TimeSpan.FromHours(1),
            "24h" => TimeSpan.FromHours(24),
            _ => TimeSpan.FromDays(7),
        };
        To = Time.GetUtcNow();
        From = To - span;
        Loading = true;
        Samples = [];
        try
        {
            var history = await Resources.HistoryAsync(Host, ContainerId, From, To, CancellationToken.None);
            if (Range == range)
            {
                Samples = history;
            }
        }
        catch (Exception ex) when (ex is ConsoleOperationException or KeyNotFoundException)
        {
            LoadError = ex.Message;
        }
        finally
        {
            Loading = false;
        }
    }

    internal async Task ApplyLimitsAsync()
    {
        ApplyError = null;
        Applied = null;
        LimitErrors = [];
        double? cpus = null;
        long? pids = null;
        if (CpusText.Trim() is { Length: > 0 } c)
        {
            if (double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                cpus = v;
            }
            else
            {
                LimitErrors["cpus"] = $"'{c}' is not a number of cores.";
            }
        }

        if (PidsText.Trim() is { Length: > 0 } p)
        {
            if (long.TryParse(p, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            {
                pids = v;
            }
            else
            {
                LimitErrors["pidsLimit"] = $"'{p}' is not a whole number.";
            }
        }

        if (LimitErrors.Count > 0)
        {
            return;
        }

        Applying = true;
        try
        {
            await Resources.UpdateLimitsAsync(Host, ContainerId, new LimitsChange(MemoryText.Trim() is { Length: > 0 } m ? m : null, cpus, pids), CancellationToken.None);
            Applied = "Limits changed.";
        }
        catch (ConsoleValidationException ex)
        {
            LimitErrors = ex.Errors.ToDictionary(e => e.Key, e => string.Join(" ", e.Value));
            ApplyError = ex.Message;
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException or KeyNotFoundException)
        {
            ApplyError = ex.Message;
        }
        finally
        {
            Applying = false;
        }
    }

    private static string Percent(double value) => value.ToString("0.#", CultureInfo.InvariantCulture) + " %";

    private static string Rate(double value) => ChartScale.Bytes(value) + "/s";

    public async ValueTask DisposeAsync()
    {
        await StopLiveAsync();
        GC.SuppressFinalize(this);
    }
}
