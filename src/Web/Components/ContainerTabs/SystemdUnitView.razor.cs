using System.Text;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.ContainerTabs;

/// <summary>The container's settings as a systemd unit (<see cref="SystemdUnit"/>).</summary>
public partial class SystemdUnitView
{
    [Inject]
    private IContainerInspection Inspection { get; set; } = default!;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    internal string? Unit { get; private set; }

    private string FileName { get; set; } = "";

    private string DataUrl => "data:text/plain;charset=utf-8;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes(Unit ?? ""));

    private string? Error { get; set; }

    protected override async Task OnInitializedAsync()
    {
        try
        {
            var settings = await Inspection.RunSettingsAsync(Host, ContainerId, CancellationToken.None);
            Unit = SystemdUnit.Generate(settings);
            FileName = SystemdUnit.FileName(settings.Name!);
        }
        catch (ConsoleOperationException ex)
        {
            Error = ex.Message;
        }
    }
}
