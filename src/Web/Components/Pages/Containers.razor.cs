using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// Containers of every host, as <c>docker ps -a</c> across hosts: search, filters, sorting, bulk actions, kept
/// current by the server's container feed (agent events; polling when a host's events fail).
/// </summary>
public partial class Containers
{
    /// <summary>How long to wait before watching again after the feed failed.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private static readonly (ContainerColumn Column, string Title)[] Columns =
    [
        (ContainerColumn.Name, "Name"),
        (ContainerColumn.Image, "Image"),
        (ContainerColumn.Command, "Command"),
        (ContainerColumn.Created, "Created"),
        (ContainerColumn.Status, "Status"),
        (ContainerColumn.Host, "Host"),
    ];

    private static readonly string[] States = ["running", "paused", "restarting", "created", "exited", "dead", "removing"];

    private readonly CancellationTokenSource _disposed = new();
    private readonly HashSet<(string Host, string Id)> _selected = [];
    private ContainerQuery _query = new();
    private List<ContainerSummary> _rows = [];
    private Task? _watching;

    [Inject]
    private IContainerFeed Feed { get; set; } = default!;

    [Inject]
    private IContainerActions Actions { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    internal ContainerListModel Model { get; } = new();

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    /// <summary>The rows shown: the feed's containers through the search, filters and sort order.</summary>
    internal List<ContainerSummary> Rows => _rows;

    /// <summary>
    /// Rows rendered at once: the table shows pages of rows rather than Blazor's Virtualize, which in a table in
    /// chromium stopped loading rows after its first batch (its spacer row was placed past the scroll area's end), so
    /// rows beyond the first 120 of 500 could not be reached by scrolling.
    /// </summary>
    internal const int PageSize = 200;

    internal int Shown { get; private set; } = PageSize;

    /// <summary>The prerendered page (no script yet to page with) has every row.</summary>
    private IEnumerable<ContainerSummary> ShownRows => RendererInfo.IsInteractive ? _rows.Take(Shown) : _rows;

    private void ShowMore() => Shown += PageSize;

    private void ShowAll() => Shown = Math.Max(Shown, _rows.Count);

    internal ContainerQuery Query
    {
        get => _query;
        set
        {
            _query = value;
            Recompute();
        }
    }

    private DateTimeOffset? LastUpdate { get; set; }

    private bool Loading => LastUpdate is null && LoadError is null;

    private string? LoadError { get; set; }

    private string? ActionError { get; set; }

    private string? ActionErrorTitle { get; set; }

    private bool Busy { get; set; }

    private string BusyLabel { get; set; } = "";

    private bool ConfirmRemove { get; set; }

    /// <summary>Whether the run dialog is open.</summary>
    internal bool ShowRun { get; set; }

    /// <summary>Hosts offered by the run dialog: those with a list, reachable or not (the dialog says when one fails).</summary>
    private IReadOnlyList<string> RunHosts => Model.Hosts;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    private int SelectedCount => _selected.Count;

    private bool AllShownSelected => _rows.Count > 0 && _rows.All(IsSelected);

    private string Search { get => _query.Search; set => Query = _query with { Search = value }; }

    private string StateFilter { get => _query.State; set => Query = _query with { State = value }; }

    private string HostFilter { get => _query.Host; set => Query = _query with { Host = value }; }

    private string LabelFilter { get => _query.Label; set => Query = _query with { Label = value }; }

    private string ImageFilter { get => _query.Image; set => Query = _query with { Image = value }; }

    protected override async Task OnInitializedAsync()
    {
        Rights = await Access.GetRightsAsync(_disposed.Token);
        var updates = Feed.WatchAsync(_disposed.Token).GetAsyncEnumerator(_disposed.Token);
        try
        {
            if (await updates.MoveNextAsync())
            {
                Apply(updates.Current);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LoadError = ex.Message;
            await updates.DisposeAsync();
            updates = null;
        }

        if (!RendererInfo.IsInteractive)
        {
            // Prerendering shows the snapshot; the interactive page watches for changes.
            if (updates is not null)
            {
                await updates.DisposeAsync();
            }

            return;
        }

        _watching = WatchAsync(updates);
    }

    /// <summary>Applies the feed's changes as they come; after a failure, shows why and watches again.</summary>
    private async Task WatchAsync(IAsyncEnumerator<ContainerFeedUpdate>? updates)
    {
        var token = _disposed.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (updates is null)
                {
                    await Task.Delay(RetryDelay, Time, token);
                    updates = Feed.WatchAsync(token).GetAsyncEnumerator(token);
                }

                while (await updates.MoveNextAsync())
                {
                    var update = updates.Current;
                    await InvokeAsync(() =>
                    {
                        LoadError = null;
                        Apply(update);
                        StateHasChanged();
                    });
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                await InvokeAsync(() =>
                {
                    LoadError = ex.Message;
                    StateHasChanged();
                });
            }
            finally
            {
                if (updates is not null)
                {
                    await updates.DisposeAsync();
                    updates = null;
                }
            }
        }
    }

    internal void Apply(ContainerFeedUpdate update)
    {
        Model.Apply(update);
        // Selections of containers that are gone go with them.
        _selected.RemoveWhere(key => !Model.All.Any(c => c.Host == key.Host && c.Id == key.Id));
        LastUpdate = Time.GetUtcNow();
        Recompute();
    }

    private void Recompute() => _rows = _query.Apply(Model.All);

    private void SortBy(ContainerColumn column) => Query = _query.SortedBy(column);

    private string AriaSort(ContainerColumn column) =>
        column != _query.SortBy ? "none" : _query.Descending ? "descending" : "ascending";

    private string SortMark(ContainerColumn column) =>
        column != _query.SortBy ? "" : _query.Descending ? " ▼" : " ▲";

    private bool IsSelected(ContainerSummary container) => _selected.Contains((container.Host, container.Id));

    private void Toggle(ContainerSummary container)
    {
        if (!_selected.Remove((container.Host, container.Id)))
        {
            _selected.Add((container.Host, container.Id));
        }

        ConfirmRemove = false;
    }

    private void ToggleAll()
    {
        if (AllShownSelected)
        {
            _selected.Clear();
        }
        else
        {
            _selected.UnionWith(_rows.Select(c => (c.Host, c.Id)));
        }

        ConfirmRemove = false;
    }

    private Task RunOneAsync(ContainerSummary container, ContainerAction action) =>
        RunAsync(action, [(container.Host, container.Id, Names.Display(container))]);

    private Task RunBulkAsync(ContainerAction action)
    {
        ConfirmRemove = false;
        var targets = Model.All.Where(IsSelected).Select(c => (c.Host, c.Id, Names.Display(c))).ToList();
        return RunAsync(action, targets);
    }

    /// <summary>Runs the action on each target in turn; failures are collected and shown with their reasons.</summary>
    private async Task RunAsync(ContainerAction action, IReadOnlyList<(string Host, string Id, string Name)> targets)
    {
        if (targets.Count == 0)
        {
            return;
        }

        Busy = true;
        ActionError = null;
        var verb = action.ToString().ToLowerInvariant();
        var failures = new List<string>();
        for (var i = 0; i < targets.Count; i++)
        {
            var (host, id, name) = targets[i];
            BusyLabel = targets.Count == 1 ? $"{action} {name}…" : $"{action} {i + 1} of {targets.Count}…";
            StateHasChanged();
            try
            {
                await Actions.RunAsync(action, host, id, _disposed.Token);
            }
            catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException or KeyNotFoundException)
            {
                failures.Add(targets.Count == 1 ? ex.Message : $"{name}: {ex.Message}");
            }
        }

        if (failures.Count > 0)
        {
            ActionErrorTitle = targets.Count == 1 ? $"Could not {verb} {targets[0].Name}:" : $"Could not {verb} {failures.Count} of {targets.Count} containers:";
            ActionError = string.Join("; ", failures);
        }

        if (action == ContainerAction.Remove)
        {
            _selected.ExceptWith(targets.Select(t => (t.Host, t.Id)));
        }

        Busy = false;
    }

    /// <summary>A container run from the dialog opens on its detail page, where its logs show how it started.</summary>
    private void RunStarted((string Host, string Id) started)
    {
        ShowRun = false;
        Navigation.NavigateTo($"containers/{Uri.EscapeDataString(started.Host)}/{Uri.EscapeDataString(started.Id)}");
    }

    private static string DetailHref(ContainerSummary container) =>
        $"containers/{Uri.EscapeDataString(container.Host)}/{Uri.EscapeDataString(container.Id)}";

    private static DateTimeOffset CreatedAt(ContainerSummary container) =>
        DateTimeOffset.FromUnixTimeSeconds(container.Created);

    private string Age(ContainerSummary container) => TimeText.Ago(Time.GetUtcNow(), CreatedAt(container));

    /// <summary>Published ports as links to the host's address (IPv4 and IPv6 bindings of one port shown once).</summary>
    internal static IEnumerable<(string Url, string Text)> PublishedPorts(ContainerSummary container) =>
        (container.Ports ?? [])
            .Where(p => p.PublicPort is not null)
            .DistinctBy(p => (p.PublicPort, p.PrivatePort, p.Type))
            .OrderBy(p => p.PublicPort)
            .Select(p => (
                $"http://{container.HostAddress ?? "localhost"}:{p.PublicPort}",
                $"{p.PublicPort}→{p.PrivatePort}/{p.Type}"));

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
