using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using Microsoft.JSInterop;

namespace ContainerConsole.Web.Components.Logs;

/// <summary>
/// A container's log: the last <see cref="Tail"/> lines, then new ones as printed, kept in a ring of
/// <see cref="Capacity"/> lines and rendered with Virtualize (only the rows in view exist in the page), so a
/// long-running follow costs constant memory and render time. Lines arrive in batches rendered at most every
/// <see cref="FlushInterval"/>.
/// </summary>
public partial class LogView
{
    public const int DefaultCapacity = 100_000;

    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(150);

    private readonly CancellationTokenSource _disposed = new();
    private CancellationTokenSource? _reading;
    private Task? _readTask;
    private RingBuffer<LogLine> _pending = new(DefaultCapacity);
    private Virtualize<LogRow>? _virtualize;
    private ElementReference _scroller;
    private IJSObjectReference? _module;
    private bool _scrollPending;

    /// <summary>The browser's offset from UTC: since/until are typed in the user's time, not the server's. UTC until known.</summary>
    private TimeSpan _browserOffset;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    /// <summary>Lines kept; older ones are dropped.</summary>
    [Parameter]
    public int Capacity { get; set; } = DefaultCapacity;

    [Inject]
    private ILogFeed Logs { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    internal LogBuffer Buffer { get; private set; } = new(DefaultCapacity);

    internal int Tail { get; set; } = 1000;

    internal DateTime? Since { get; set; }

    internal DateTime? Until { get; set; }

    internal bool Paused { get; private set; }

    internal bool Following { get; private set; }

    internal string SearchText { get; set; } = "";

    internal string StreamChoice { get; set; } = "";

    internal bool ShowTimestamps { get; set; }

    private string? Error { get; set; }

    private int PendingCount => _pending.Count;

    internal string TimeZoneNote => _browserOffset == TimeSpan.Zero
        ? "(UTC)"
        : $"(UTC{(_browserOffset < TimeSpan.Zero ? "-" : "+")}{_browserOffset.Duration():hh\\:mm})";

    private string DownloadUrl => Logs.DownloadUrl(Query(), ShowTimestamps);

    protected override void OnInitialized()
    {
        Buffer = new LogBuffer(Capacity);
        _pending = new RingBuffer<LogLine>(Capacity);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Reading starts once the page is interactive: a prerendered log would be stale at once.
        if (firstRender && RendererInfo.IsInteractive)
        {
            StartReading(); // the first query has no since/until, so it need not wait for the offset
            await ReadBrowserOffsetAsync();
        }

        if (_scrollPending)
        {
            _scrollPending = false;
            _ = ScrollToBottomAsync();
        }
    }

    private LogQuery Query() => new(Host, ContainerId, Tail, AtBrowserTime(Since, _browserOffset), AtBrowserTime(Until, _browserOffset), Follow: true);

    /// <summary>A datetime-local input's value (no zone) as the instant it names in the browser's time zone.</summary>
    internal static DateTimeOffset? AtBrowserTime(DateTime? value, TimeSpan browserOffset) =>
        value is { } local ? new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), browserOffset) : null;

    private async Task ReadBrowserOffsetAsync()
    {
        try
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./_content/ContainerConsole.Web/logview.js");
            var minutes = await _module.InvokeAsync<int>("utcOffsetMinutes");
            if (Math.Abs(minutes) <= 14 * 60) // the range a DateTimeOffset accepts; anything else stays UTC
            {
                _browserOffset = TimeSpan.FromMinutes(minutes);
                StateHasChanged();
            }
        }
        catch (Exception ex) when (ex is JSDisconnectedException or TaskCanceledException or ObjectDisposedException)
        {
            // The page was left.
        }
    }

    private void StartReading()
    {
        _reading = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
        _readTask = ReadAsync(Query(), _reading.Token);
    }

    private async Task StopReadingAsync()
    {
        if (_reading is null)
        {
            return;
        }

        await _reading.CancelAsync();
        if (_readTask is not null)
        {
            await _readTask;
        }

        _reading.Dispose();
        _reading = null;
    }

    /// <summary>Reads the feed on a background task, handing lines to the renderer in batches.</summary>
    private async Task ReadAsync(LogQuery query, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var batch = new List<LogLine>();
        var lastFlush = DateTime.UtcNow;
        await InvokeAsync(() =>
        {
            Error = null;
            Following = true;
            StateHasChanged();
        });
        try
        {
            await using var lines = Logs.ReadAsync(query, cancellationToken).GetAsyncEnumerator(cancellationToken);
            var next = lines.MoveNextAsync().AsTask();
            while (true)
            {
                // Flush what was gathered when the stream goes quiet for a moment or the interval passed.
                if (batch.Count > 0 && !next.IsCompleted)
                {
                    var quiet = await Task.WhenAny(next, Task.Delay(FlushInterval, cancellationToken)) != next;
                    if (quiet || DateTime.UtcNow - lastFlush > FlushInterval)
                    {
                        await FlushAsync(batch);
                        batch = [];
                        lastFlush = DateTime.UtcNow;
                    }
                }

                if (!await next)
                {
                    break;
                }

                batch.Add(lines.Current);
                if (batch.Count >= 5000)
                {
                    await FlushAsync(batch);
                    batch = [];
                    lastFlush = DateTime.UtcNow;
                }

                next = lines.MoveNextAsync().AsTask();
            }

            await FlushAsync(batch);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            await InvokeAsync(() => Error = ex.Message);
        }

        await InvokeAsync(() =>
        {
            Following = false;
            StateHasChanged();
        });
    }

    private Task FlushAsync(List<LogLine> batch) => batch.Count == 0 ? Task.CompletedTask : InvokeAsync(async () =>
    {
        foreach (var line in batch)
        {
            if (Paused)
            {
                _pending.Add(line);
            }
            else
            {
                Buffer.Add(line);
            }
        }

        await RefreshAsync(scroll: !Paused);
    });

    /// <summary>Adds lines as if the feed sent them (tests and measurements).</summary>
    internal Task AddLinesAsync(IEnumerable<LogLine> lines) => InvokeAsync(async () =>
    {
        foreach (var line in lines)
        {
            Buffer.Add(line);
        }

        await RefreshAsync(scroll: true);
    });

    private async Task RefreshAsync(bool scroll)
    {
        _scrollPending = scroll;
        if (_virtualize is not null)
        {
            await _virtualize.RefreshDataAsync();
        }

        StateHasChanged();
    }

    private ValueTask<ItemsProviderResult<LogRow>> ProvideAsync(ItemsProviderRequest request) =>
        ValueTask.FromResult(new ItemsProviderResult<LogRow>(Buffer.Slice(request.StartIndex, request.Count).ToList(), Buffer.Count));

    private async Task TogglePauseAsync()
    {
        Paused = !Paused;
        if (!Paused)
        {
            for (var i = 0; i < _pending.Count; i++)
            {
                Buffer.Add(_pending[i]);
            }

            _pending.Clear();
            await RefreshAsync(scroll: true);
        }
    }

    internal async Task ApplyFilterAsync()
    {
        LogSource? source = StreamChoice switch
        {
            "stdout" => LogSource.Stdout,
            "stderr" => LogSource.Stderr,
            _ => null,
        };
        Buffer.SetFilter(new LogFilter(source, SearchText.Trim()));
        await RefreshAsync(scroll: false);
    }

    private async Task ReloadAsync()
    {
        await StopReadingAsync();
        Buffer.Clear();
        _pending.Clear();
        Buffer.SetFilter(Buffer.Filter);
        await RefreshAsync(scroll: false);
        StartReading();
    }

    private async Task ClearAsync()
    {
        Buffer.Clear();
        _pending.Clear();
        await RefreshAsync(scroll: false);
    }

    /// <summary>The parts of <paramref name="text"/>, each flagged when it matches the search (case-insensitive).</summary>
    internal IEnumerable<(string Part, bool Hit)> Highlight(string text)
    {
        var term = Buffer.Filter.Search;
        if (term.Length == 0)
        {
            yield return (text, false);
            yield break;
        }

        var at = 0;
        while (at < text.Length)
        {
            var hit = text.IndexOf(term, at, StringComparison.OrdinalIgnoreCase);
            if (hit < 0)
            {
                break;
            }

            if (hit > at)
            {
                yield return (text[at..hit], false);
            }

            yield return (text.Substring(hit, term.Length), true);
            at = hit + term.Length;
        }

        if (at < text.Length)
        {
            yield return (text[at..], false);
        }
    }

    private async Task ScrollToBottomAsync()
    {
        try
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./_content/ContainerConsole.Web/logview.js");
            await _module.InvokeVoidAsync("scrollToBottom", _scroller);
        }
        catch (Exception ex) when (ex is JSDisconnectedException or TaskCanceledException or ObjectDisposedException)
        {
            // The page was left.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_readTask is not null)
        {
            await _readTask;
        }

        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }

        _reading?.Dispose();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
