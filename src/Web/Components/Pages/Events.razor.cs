using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// Live events of every host (the server's shared event feed), newest first, in a bounded buffer; filters by host,
/// type, action and container; pause holds new events back until resumed.
/// </summary>
public partial class Events
{
    /// <summary>Rows rendered at most: the buffer keeps more, the filters reach them.</summary>
    public const int MaxRows = 500;

    private readonly CancellationTokenSource _disposed = new();
    private EventQuery _query = new();
    private Task? _watching;

    [Inject]
    private IEventFeed Feed { get; set; } = default!;

    internal EventLog Log { get; } = new();

    internal EventQuery Query
    {
        get => _query;
        set => _query = value;
    }

    internal List<ConsoleEvent> Rows => [.. Log.Matching(_query).Take(MaxRows)];

    internal bool Watching { get; private set; }

    internal string? FeedError { get; private set; }

    private string HostFilter
    {
        get => _query.Host ?? "";
        set => _query = _query with { Host = value };
    }

    private string TypeFilter
    {
        get => _query.Type ?? "";
        set => _query = _query with { Type = value };
    }

    private string ActionFilter
    {
        get => _query.Action ?? "";
        set => _query = _query with { Action = value };
    }

    private string ContainerFilter
    {
        get => _query.Container ?? "";
        set => _query = _query with { Container = value };
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _watching = WatchAsync();
        }
    }

    private void Resume() => Log.Resume();

    private void Reconnect()
    {
        if (!Watching)
        {
            _watching = WatchAsync();
        }
    }

    private async Task WatchAsync()
    {
        Watching = true;
        FeedError = null;
        await InvokeAsync(StateHasChanged);
        try
        {
            await foreach (var e in Feed.WatchAsync(_disposed.Token))
            {
                // On the renderer's dispatcher: a render may be reading the log. Paused, the rows stand still but the held count moves.
                await InvokeAsync(() =>
                {
                    Log.Add(e);
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            FeedError = ex.Message;
        }

        Watching = false;
        await InvokeAsync(StateHasChanged);
    }

    private static string ShortId(string? id) => id is { Length: > 12 } ? id[..12] : id ?? "";

    private static string Attributes(ConsoleEvent e) =>
        string.Join(", ", e.Attributes.Where(a => a.Key != "name").OrderBy(a => a.Key, StringComparer.Ordinal).Take(8).Select(a => $"{a.Key}={a.Value}"));

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_watching is not null)
        {
            await _watching;
        }

        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
