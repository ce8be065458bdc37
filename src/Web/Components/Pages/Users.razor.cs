using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>Every user's own API tokens, and for an admin the user management.</summary>
public partial class Users
{
    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    internal ConsoleRights? Rights { get; private set; }

    protected override async Task OnInitializedAsync() => Rights = await Access.GetRightsAsync(CancellationToken.None);
}
