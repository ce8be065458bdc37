using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.ContainerTabs;

/// <summary>How the container is confined, from its inspect and its host's info.</summary>
public partial class SecurityView
{
    [Inject]
    private IContainerInspection Inspection { get; set; } = default!;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    internal SecurityInfo? Info { get; private set; }

    private string? Error { get; set; }

    protected override async Task OnInitializedAsync()
    {
        try
        {
            Info = await Inspection.SecurityAsync(Host, ContainerId, CancellationToken.None);
        }
        catch (ConsoleOperationException ex)
        {
            Error = ex.Message;
        }
    }
}
