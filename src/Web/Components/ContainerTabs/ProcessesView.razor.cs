using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.ContainerTabs;

/// <summary>The container's processes (<c>docker top</c>).</summary>
public partial class ProcessesView
{
    [Inject]
    private IContainerInspection Inspection { get; set; } = default!;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    internal ProcessList? List { get; private set; }

    private bool Loading { get; set; }

    private string? Error { get; set; }

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        Loading = true;
        Error = null;
        try
        {
            List = await Inspection.TopAsync(Host, ContainerId, CancellationToken.None);
        }
        catch (ConsoleOperationException ex)
        {
            Error = ex.Message;
        }
        finally
        {
            Loading = false;
        }
    }
}
