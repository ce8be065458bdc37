using System.Globalization;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>One container: overview, the agent's inspect, and its live log; actions for operators.</summary>
public partial class ContainerDetail
{
    private static readonly (string Key, string Title)[] CommonTabs = [("overview", "Overview"), ("inspect", "Inspect"), ("logs", "Logs"), ("resources", "Resources"), ("processes", "Processes"), ("security", "Security"), ("systemd", "Systemd unit")];

    /// <summary>Tabs an operator gets besides: a viewer would only be refused by the hub.</summary>
    private static readonly (string Key, string Title)[] OperatorTabs = [("terminal", "Terminal"), ("commit", "Commit")];

    // The tab buttons, for moving focus with the arrow keys (WAI-ARIA tabs pattern, roving tabindex).
    private readonly Dictionary<string, ElementReference> _tabButtons = [];
    private bool _focusActiveTab;

    private IEnumerable<(string Key, string Title)> Tabs => Rights.CanOperate ? CommonTabs.Concat(OperatorTabs) : CommonTabs;

    [Parameter]
    public string Host { get; set; } = "";

    [Parameter]
    public string Id { get; set; } = "";

    /// <summary>The tab to open: overview (default), inspect or logs.</summary>
    [SupplyParameterFromQuery(Name = "tab")]
    public string? Tab { get; set; }

    [Inject]
    private IContainerDetailsService DetailsService { get; set; } = default!;

    [Inject]
    private IContainerActions Actions { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    internal ContainerDetails? Details { get; private set; }

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    private string ActiveTab { get; set; } = "overview";

    private string? Error { get; set; }

    private string? ErrorTitle { get; set; }

    private bool Busy { get; set; }

    private string BusyLabel { get; set; } = "";

    private bool ConfirmRemove { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        Rights = await Access.GetRightsAsync(CancellationToken.None);
        ActiveTab = Tabs.Any(t => t.Key == Tab) ? Tab! : "overview";
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        try
        {
            Details = await DetailsService.GetAsync(Host, Id, CancellationToken.None);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or ConsoleOperationException)
        {
            ErrorTitle = "Could not load the container:";
            Error = ex.Message;
        }
    }

    private async Task RunAsync(ContainerAction action)
    {
        ConfirmRemove = false;
        Busy = true;
        BusyLabel = $"{action}…";
        Error = null;
        try
        {
            await Actions.RunAsync(action, Host, Details?.Id ?? Id, CancellationToken.None);
            if (action == ContainerAction.Remove)
            {
                Navigation.NavigateTo("containers");
                return;
            }

            await LoadAsync();
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException or KeyNotFoundException)
        {
            ErrorTitle = $"Could not {action.ToString().ToLowerInvariant()} the container:";
            Error = ex.Message;
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>Left/Right (wrapping), Home and End select and focus another tab; selection follows focus.</summary>
    internal void OnTabKeyDown(KeyboardEventArgs e)
    {
        var keys = Tabs.Select(t => t.Key).ToList();
        var index = keys.IndexOf(ActiveTab);
        int? next = e.Key switch
        {
            "ArrowRight" => (index + 1) % keys.Count,
            "ArrowLeft" => (index - 1 + keys.Count) % keys.Count,
            "Home" => 0,
            "End" => keys.Count - 1,
            _ => null,
        };
        if (next is { } target)
        {
            ActiveTab = keys[target];
            _focusActiveTab = true;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_focusActiveTab && _tabButtons.TryGetValue(ActiveTab, out var button))
        {
            _focusActiveTab = false;
            await button.FocusAsync();
        }
    }

    private static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";

    private static string Limits(ContainerDetails details)
    {
        var parts = new List<string>();
        if (details.MemoryLimit is { } memory)
        {
            parts.Add($"memory {memory / (1024.0 * 1024):0.#} MiB");
        }

        if (details.Cpus is { } cpus)
        {
            parts.Add($"{cpus:0.##} CPUs");
        }

        if (details.PidsLimit is { } pids)
        {
            parts.Add($"{pids} pids");
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
