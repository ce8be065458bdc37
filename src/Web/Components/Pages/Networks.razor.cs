using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// Networks of every host with the containers attached; operators create, remove, connect and disconnect containers,
/// and prune (checked and audited by the server).
/// </summary>
public partial class Networks
{
    private readonly CancellationTokenSource _disposed = new();
    private string _search = "";

    [Inject]
    private INetworkService NetworkService { get; set; } = default!;

    [Inject]
    private IContainersService Containers { get; set; } = default!;

    [Inject]
    private IHostsService HostsService { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    protected override TimeSpan RefreshInterval => TimeSpan.FromSeconds(10);

    /// <summary>Network events (connects and disconnects among them), and containers made or removed.</summary>
    protected override bool Concerns(ConsoleEvent e) =>
        e.Type == "network" || (e.Type == "container" && e.Action is "create" or "destroy");

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    private PageWork Work { get; } = new();

    /// <summary>Change controls show to operators once the page is interactive (prerendered, they could not work).</summary>
    private bool CanChange => Rights.CanOperate && RendererInfo.IsInteractive;

    internal IReadOnlyList<NetworkSummary> All { get; private set; } = [];

    internal List<NetworkSummary> Rows { get; private set; } = [];

    internal NetworkForm Form { get; } = new();

    /// <summary>Per network id: the container chosen in its connect list.</summary>
    private Dictionary<string, string> ConnectChoice { get; } = [];

    private IReadOnlyList<ContainerSummary> ContainerList { get; set; } = [];

    private IReadOnlyList<HostError> Unreachable { get; set; } = [];

    private IReadOnlyList<string> HostNames { get; set; } = [];

    private string? FormError { get; set; }

    private string? Done { get; set; }

    private NetworkSummary? ConfirmRemove { get; set; }

    private bool ConfirmPrune { get; set; }

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

        var networks = NetworkService.ListAsync(cancellationToken);
        if (Rights.CanOperate)
        {
            ContainerList = (await Containers.GetContainersAsync(null, cancellationToken)).Containers;
        }

        var list = await networks;
        All = list.Networks;
        Unreachable = list.UnreachableHosts;
        Rows = Filter(All, _search);
        foreach (var network in All)
        {
            ConnectChoice.TryAdd(network.Id, "");
        }
    }

    internal static List<NetworkSummary> Filter(IEnumerable<NetworkSummary> networks, string search) =>
        networks.Where(n => search.Length == 0
                || n.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
                || n.Driver.Contains(search, StringComparison.OrdinalIgnoreCase)
                || n.Host.Contains(search, StringComparison.OrdinalIgnoreCase)
                || n.Subnets.Any(s => s.Subnet.Contains(search, StringComparison.OrdinalIgnoreCase))
                || n.Containers.Any(c => c.Container.Name.Contains(search, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(n => n.Host, StringComparer.Ordinal).ThenBy(n => n.Name, StringComparer.Ordinal).ToList();

    /// <summary>Docker's own networks (bridge, host, none) cannot be removed, and host and none take no containers.</summary>
    internal static bool Predefined(NetworkSummary network) => network.Name is "bridge" or "host" or "none";

    /// <summary>Containers of the network's host that are not attached to it yet.</summary>
    private IEnumerable<string> Candidates(NetworkSummary network) =>
        ContainerList.Where(c => c.Host == network.Host && network.Containers.All(e => e.Container.Id != c.Id))
            .Select(Names.Display).Order(StringComparer.Ordinal);

    private async Task CreateAsync()
    {
        var (request, error) = Form.ToRequest();
        FormError = error;
        if (request is null)
        {
            return;
        }

        await RunAsync($"Creating {request.Name}…", $"Could not create network {request.Name}:", async () =>
        {
            await NetworkService.CreateAsync(request, _disposed.Token);
            Done = $"Created network {request.Name} on {request.Host}.";
            Form.Name = Form.Subnet = Form.Gateway = "";
        });
    }

    private Task RemoveAsync(NetworkSummary network)
    {
        ConfirmRemove = null;
        return RunAsync($"Removing {network.Name}…", $"Could not remove network {network.Name}:", async () =>
        {
            await NetworkService.RemoveAsync(network.Host, network.Id, _disposed.Token);
            Done = $"Removed network {network.Name} from {network.Host}.";
        });
    }

    private Task ConnectAsync(NetworkSummary network, string container, bool connect)
    {
        var verb = connect ? "connect" : "disconnect";
        return RunAsync($"{(connect ? "Connecting" : "Disconnecting")} {container}…", $"Could not {verb} {container}:", async () =>
        {
            await NetworkService.ConnectAsync(network.Host, network.Id, container, connect, _disposed.Token);
            Done = connect ? $"Connected {container} to {network.Name}." : $"Disconnected {container} from {network.Name}.";
            ConnectChoice[network.Id] = "";
        });
    }

    private Task PruneAsync()
    {
        ConfirmPrune = false;
        var host = Form.Host;
        return RunAsync($"Pruning networks of {host}…", $"Could not prune the networks of {host}:", async () =>
        {
            var result = await NetworkService.PruneAsync(host, _disposed.Token);
            Done = result.Removed.Count == 0 ? $"No unused networks on {host}." : $"Pruned {host}: removed {string.Join(", ", result.Removed)}.";
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

    /// <summary>The create form: text as typed, checked into a request.</summary>
    internal sealed class NetworkForm
    {
        public string Host { get; set; } = "";

        public string Name { get; set; } = "";

        public string Driver { get; set; } = "bridge";

        public string Subnet { get; set; } = "";

        public string Gateway { get; set; } = "";

        public bool Internal { get; set; }

        public string Labels { get; set; } = "";

        public (NetworkCreateRequest? Request, string? Error) ToRequest()
        {
            var (labels, labelsError) = ResourceForms.KeyValues(Labels, "Labels");
            var error = (Host.Length == 0 ? "Choose a host." : null)
                ?? ResourceForms.Name(Name.Trim(), optional: false)
                ?? (string.IsNullOrWhiteSpace(Driver) ? "A driver is required (bridge)." : null)
                ?? ResourceForms.Subnet(Subnet, Gateway)
                ?? labelsError;
            return error is null
                ? (new NetworkCreateRequest(Host, Name.Trim(), Driver.Trim(), NullIfEmpty(Subnet), NullIfEmpty(Gateway), Internal, labels), null)
                : (null, error);
        }

        private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
