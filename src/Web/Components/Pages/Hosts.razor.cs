using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>The configured agents with their health and engine version; an admin registers, edits and removes them.</summary>
public partial class Hosts
{
    /// <summary>The change under way, or the last one\'s failure.</summary>
    internal PageWork Work { get; } = new();

    [Inject]
    private IHostsService HostsService { get; set; } = default!;

    [Inject]
    private IHostAdmin HostAdmin { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    private IReadOnlyList<HostStatus> HostList { get; set; } = [];

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    internal HostForm Form { get; } = new();

    private int? ConfirmRemove { get; set; }

    /// <summary>The host the form changes, or null when it registers a new one.</summary>
    private HostStatus? Editing { get; set; }


    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        Rights = await Access.GetRightsAsync(cancellationToken);
        HostList = await HostsService.GetHostsAsync(cancellationToken);
    }

    internal Task SaveAsync() => Editing is { } host ? UpdateAsync(host) : RegisterAsync();

    private async Task RegisterAsync()
    {
        await RunAsync($"Registering {Form.Name} and checking it…", $"Could not register {Form.Name}:", async () =>
        {
            var added = await HostAdmin.RegisterAsync(Form.ToRequest(), CancellationToken.None);
            HostList = [.. HostList, added];
            Form.Clear();
        });
    }

    private async Task UpdateAsync(HostStatus host)
    {
        await RunAsync($"Changing {host.Name} and checking it…", $"Could not change {host.Name}:", async () =>
        {
            var changed = await HostAdmin.UpdateAsync(host.Id, Form.ToRequest(), CancellationToken.None);
            HostList = [.. HostList.Select(h => h.Id == host.Id ? changed : h)];
            CancelEdit();
        });
    }

    private void Edit(HostStatus host)
    {
        Editing = host;
        Form.Clear();
        Form.Name = host.Name;
        Form.Uri = host.Uri;
    }

    private void CancelEdit()
    {
        Editing = null;
        Form.Clear();
    }

    private async Task RemoveAsync(HostStatus host)
    {
        await RunAsync($"Removing {host.Name}…", $"Could not remove {host.Name}:", async () =>
        {
            // The dialog closes at once: a refusal shows as the page's error, not behind a modal.
            ConfirmRemove = null;
            await HostAdmin.RemoveAsync(host.Id, host.Name, CancellationToken.None);
            HostList = [.. HostList.Where(h => h.Id != host.Id)];
        });
    }

    private Task RunAsync(string label, string errorTitle, Func<Task> change) => Work.RunAsync(label, errorTitle, change, StateHasChanged);

    private static string StateText(HostState state) => state switch
    {
        HostState.Healthy => "Healthy",
        HostState.Unhealthy => "Unhealthy",
        _ => "Unreachable",
    };

    private static string StateTone(HostState state) => state switch
    {
        HostState.Healthy => "ok",
        HostState.Unhealthy => "warn",
        _ => "error",
    };

    private static string ApiRange(EngineVersionInfo version) =>
        version.MinApiVersion is { Length: > 0 } min ? $"{version.ApiVersion} (min {min})" : version.ApiVersion;

    /// <summary>The registration form's fields.</summary>
    internal sealed class HostForm
    {
        public string Name { get; set; } = "";

        public string Uri { get; set; } = "";

        public string? CaCert { get; set; }

        public string? Cert { get; set; }

        public string? Key { get; set; }

        public HostRegistrationRequest ToRequest() =>
            new(Name.Trim(), Uri.Trim(), Blank(CaCert), Blank(Cert), Blank(Key));

        public void Clear()
        {
            Name = Uri = "";
            CaCert = Cert = Key = null;
        }

        private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
