using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>The configured agents with their health and engine version.</summary>
public partial class Hosts
{
    [Inject]
    private IHostsService HostsService { get; set; } = default!;

    private IReadOnlyList<HostStatus> HostList { get; set; } = [];

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        HostList = await HostsService.GetHostsAsync(cancellationToken);
    }

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
}
