using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// Images of every host, as <c>docker images</c> across hosts, with the containers using each; operators pull, load,
/// build, remove and prune (the server checks the role and audits each change).
/// </summary>
public partial class Images
{
    private static readonly (ImageColumn Column, string Title)[] Columns =
    [
        (ImageColumn.Repository, "Repository"),
        (ImageColumn.Tag, "Tag"),
        (ImageColumn.Created, "Created"),
        (ImageColumn.Size, "Size"),
        (ImageColumn.Host, "Host"),
        (ImageColumn.UsedBy, "Used by"),
    ];

    private readonly CancellationTokenSource _disposed = new();
    private ImageQuery _query = new();

    [Inject]
    private IImageService ImageService { get; set; } = default!;

    [Inject]
    private IContainersService Containers { get; set; } = default!;

    [Inject]
    private IHostsService HostsService { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    protected override TimeSpan RefreshInterval => TimeSpan.FromSeconds(10);

    /// <summary>Image events, and containers made or removed (an image's users).</summary>
    protected override bool Concerns(ConsoleEvent e) =>
        e.Type == "image" || (e.Type == "container" && e.Action is "create" or "destroy");

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    private PageWork Work { get; } = new();

    /// <summary>Change controls show to operators once the page is interactive (prerendered, they could not work).</summary>
    private bool CanChange => Rights.CanOperate && RendererInfo.IsInteractive;

    internal List<ImageRow> AllRows { get; private set; } = [];

    internal List<ImageRow> Rows { get; private set; } = [];

    private IReadOnlyList<HostError> Unreachable { get; set; } = [];

    private IReadOnlyList<string> HostNames { get; set; } = [];

    private string TargetHost { get; set; } = "";

    private ImageRow? ConfirmRemove { get; set; }

    private bool ForceRemove { get; set; }

    private bool ConfirmPrune { get; set; }

    private bool PruneAll { get; set; }

    private string? PruneMessage { get; set; }

    private string Search { get => _query.Search; set => SetQuery(_query with { Search = value }); }

    private string HostFilter { get => _query.Host; set => SetQuery(_query with { Host = value }); }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (HostNames.Count == 0)
        {
            Rights = await Access.GetRightsAsync(cancellationToken);
            HostNames = (await HostsService.GetHostsAsync(cancellationToken)).Select(h => h.Name).ToList();
            TargetHost = HostNames.FirstOrDefault() ?? "";
        }

        var images = ImageService.ListAsync(cancellationToken);
        var containers = Containers.GetContainersAsync(null, cancellationToken);
        var list = await images;
        AllRows = ImageRow.From(list.Images, (await containers).Containers);
        Unreachable = list.UnreachableHosts;
        Rows = _query.Apply(AllRows);
    }

    private async Task ReloadAsync()
    {
        try
        {
            await LoadAsync(_disposed.Token);
        }
        catch (Exception ex) when (ex is ConsoleOperationException or KeyNotFoundException)
        {
            Work.Fail("Could not list the images again:", ex.Message);
        }
    }

    private void SetQuery(ImageQuery query)
    {
        _query = query;
        Rows = _query.Apply(AllRows);
    }

    private void SortBy(ImageColumn column) => SetQuery(_query.SortedBy(column));

    private string AriaSort(ImageColumn column) =>
        column != _query.SortBy ? "none" : _query.Descending ? "descending" : "ascending";

    private string SortMark(ImageColumn column) =>
        column != _query.SortBy ? "" : _query.Descending ? " ▼" : " ▲";

    private void AskRemove(ImageRow row)
    {
        ConfirmRemove = row;
        ForceRemove = false;
    }

    private async Task RemoveAsync(ImageRow row)
    {
        ConfirmRemove = null;
        await RunAsync($"Removing {row.Reference}…", $"Could not remove {row.Reference}:", async () =>
        {
            await ImageService.RemoveAsync(row.Image.Host, row.Reference, ForceRemove, _disposed.Token);
        });
    }

    private async Task PruneAsync()
    {
        ConfirmPrune = false;
        PruneMessage = null;
        await RunAsync($"Pruning images of {TargetHost}…", $"Could not prune the images of {TargetHost}:", async () =>
        {
            var result = await ImageService.PruneAsync(TargetHost, PruneAll, _disposed.Token);
            PruneMessage = $"Pruned {TargetHost}: {result.Removed.Count(r => r.StartsWith("deleted", StringComparison.Ordinal))} image(s) deleted, "
                + $"{ResourceForms.Size(result.SpaceReclaimed)} reclaimed.";
        });
    }

    /// <summary>Runs one change with a progress label; a refusal shows with its reason; then the data is read again.</summary>
    private async Task RunAsync(string label, string failure, Func<Task> change)
    {
        await Work.RunAsync(label, failure, change, StateHasChanged);
        await ReloadAsync(); // also after a failure: a forced remove may have untagged before it failed
    }

    private static DateTimeOffset CreatedAt(ImageRow row) => DateTimeOffset.FromUnixTimeSeconds(row.Image.Created);

    private string Age(ImageRow row) => TimeText.Ago(Time.GetUtcNow(), CreatedAt(row));

    private static string DetailHref(ImageRow row) =>
        $"images/{Uri.EscapeDataString(row.Image.Host)}/{Uri.EscapeDataString(row.Image.Id)}";

    internal static string ContainerHref(ContainerLink container) =>
        $"containers/{Uri.EscapeDataString(container.Host)}/{Uri.EscapeDataString(container.Id)}";
}
