using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>Volumes of every host with the containers mounting them; operators create, remove and prune (checked and audited by the server).</summary>
public partial class Volumes
{
    private readonly CancellationTokenSource _disposed = new();
    private string _search = "";

    [Inject]
    private IVolumeService VolumeService { get; set; } = default!;

    [Inject]
    private IHostsService HostsService { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    protected override TimeSpan RefreshInterval => TimeSpan.FromSeconds(10);

    /// <summary>Volume events, and containers made or removed (a volume's users).</summary>
    protected override bool Concerns(ConsoleEvent e) =>
        e.Type == "volume" || (e.Type == "container" && e.Action is "create" or "destroy");

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    private PageWork Work { get; } = new();

    /// <summary>Change controls show to operators once the page is interactive (prerendered, they could not work).</summary>
    private bool CanChange => Rights.CanOperate && RendererInfo.IsInteractive;

    internal IReadOnlyList<VolumeSummary> All { get; private set; } = [];

    internal List<VolumeSummary> Rows { get; private set; } = [];

    /// <summary>The create form's fields.</summary>
    internal VolumeForm Form { get; } = new();

    private IReadOnlyList<HostError> Unreachable { get; set; } = [];

    private IReadOnlyList<string> HostNames { get; set; } = [];

    private string? FormError { get; set; }

    private string? Done { get; set; }

    private VolumeSummary? ConfirmRemove { get; set; }

    private bool ForceRemove { get; set; }

    private bool ConfirmPrune { get; set; }

    private bool PruneAll { get; set; }

    private string Search
    {
        get => _search;
        set
        {
            _search = value;
            Rows = Filter(All, value);
        }
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (HostNames.Count == 0)
        {
            Rights = await Access.GetRightsAsync(cancellationToken);
            HostNames = (await HostsService.GetHostsAsync(cancellationToken)).Select(h => h.Name).ToList();
            Form.Host = HostNames.FirstOrDefault() ?? "";
        }

        var list = await VolumeService.ListAsync(cancellationToken);
        All = list.Volumes;
        Unreachable = list.UnreachableHosts;
        Rows = Filter(All, _search);
    }

    internal static List<VolumeSummary> Filter(IEnumerable<VolumeSummary> volumes, string search) =>
        volumes.Where(v => search.Length == 0
                || v.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
                || v.Driver.Contains(search, StringComparison.OrdinalIgnoreCase)
                || v.Host.Contains(search, StringComparison.OrdinalIgnoreCase)
                || v.UsedBy.Any(c => c.Name.Contains(search, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(v => v.Host, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal).ToList();

    private async Task CreateAsync()
    {
        var (request, error) = Form.ToRequest();
        FormError = error;
        if (request is null)
        {
            return;
        }

        var name = request.Name.Length == 0 ? "an anonymous volume" : request.Name;
        await RunAsync($"Creating {name}…", $"Could not create {name}:", async () =>
        {
            await VolumeService.CreateAsync(request, _disposed.Token);
            Done = $"Created {name} on {request.Host}.";
            Form.Name = "";
        });
    }

    private Task RemoveAsync(VolumeSummary volume)
    {
        ConfirmRemove = null;
        return RunAsync($"Removing {volume.Name}…", $"Could not remove volume {volume.Name}:", async () =>
        {
            await VolumeService.RemoveAsync(volume.Host, volume.Name, ForceRemove, _disposed.Token);
            Done = $"Removed volume {volume.Name} from {volume.Host}.";
        });
    }

    private Task PruneAsync()
    {
        ConfirmPrune = false;
        var host = Form.Host;
        return RunAsync($"Pruning volumes of {host}…", $"Could not prune the volumes of {host}:", async () =>
        {
            var result = await VolumeService.PruneAsync(host, PruneAll, _disposed.Token);
            Done = $"Pruned {host}: {result.Removed.Count} volume(s) removed, {ResourceForms.Size(result.SpaceReclaimed)} reclaimed.";
        });
    }

    /// <summary>Runs one change with a progress label; a refusal shows with its reason; then the data is read again.</summary>
    private async Task RunAsync(string label, string failure, Func<Task> change)
    {
        if (await Work.RunAsync(label, failure, change, StateHasChanged))
        {
            await LoadAsync(_disposed.Token);
        }
    }

    private static string LabelText(VolumeSummary volume) => string.Join("\n", volume.Labels.Select(l => $"{l.Key}={l.Value}"));

    /// <summary>The create form: text as typed, checked into a request.</summary>
    internal sealed class VolumeForm
    {
        public string Host { get; set; } = "";

        public string Name { get; set; } = "";

        public string Driver { get; set; } = "local";

        public string Options { get; set; } = "";

        public string Labels { get; set; } = "";

        /// <summary>The request, or the first problem found.</summary>
        public (VolumeCreateRequest? Request, string? Error) ToRequest()
        {
            var (options, optionsError) = ResourceForms.KeyValues(Options, "Driver options");
            var (labels, labelsError) = ResourceForms.KeyValues(Labels, "Labels");
            var error = (Host.Length == 0 ? "Choose a host." : null)
                ?? ResourceForms.Name(Name.Trim(), optional: true)
                ?? (string.IsNullOrWhiteSpace(Driver) ? "A driver is required (local)." : null)
                ?? optionsError ?? labelsError;
            return error is null ? (new VolumeCreateRequest(Host, Name.Trim(), Driver.Trim(), options, labels), null) : (null, error);
        }
    }
}
