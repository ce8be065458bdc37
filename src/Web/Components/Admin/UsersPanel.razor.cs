using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Admin;

/// <summary>Every user, for an admin: create, change role, disable or enable, reset password, delete.</summary>
public partial class UsersPanel
{
    /// <summary>The change under way, or the last one\'s failure.</summary>
    internal PageWork Work { get; } = new();

    [Inject]
    private IUserAdmin UserAdmin { get; set; } = default!;

    internal IReadOnlyList<UserAccount> Users { get; private set; } = [];

    internal string NewUser { get; set; } = "";

    internal string NewPassword { get; set; } = "";

    internal string NewRole { get; set; } = "viewer";

    private Dictionary<string, string> ResetPasswords { get; } = [];

    private string? ConfirmDelete { get; set; }


    protected override Task OnInitializedAsync() => RunAsync("Loading users…", "Could not list the users:", LoadAsync);

    private async Task LoadAsync() => Users = await UserAdmin.ListAsync(CancellationToken.None);

    internal Task CreateAsync() => RunAsync($"Creating {NewUser}…", $"Could not create {NewUser}:", async () =>
    {
        await UserAdmin.CreateAsync(NewUser.Trim(), NewPassword, NewRole, CancellationToken.None);
        NewUser = NewPassword = "";
        await LoadAsync();
    });

    private Task SetRoleAsync(UserAccount user, string role) => RunAsync($"Making {user.UserName} {role}…", $"Could not change the role of {user.UserName}:", async () =>
    {
        try
        {
            await UserAdmin.SetRoleAsync(user.Id, role, CancellationToken.None);
        }
        finally
        {
            await LoadAsync(); // a refused change puts the select back
        }
    });

    private Task SetDisabledAsync(UserAccount user, bool disabled) => RunAsync(
        $"{(disabled ? "Disabling" : "Enabling")} {user.UserName}…",
        $"Could not {(disabled ? "disable" : "enable")} {user.UserName}:",
        async () =>
        {
            await UserAdmin.SetDisabledAsync(user.Id, disabled, CancellationToken.None);
            await LoadAsync();
        });

    private Task ResetAsync(UserAccount user) => RunAsync($"Setting {user.UserName}'s password…", $"Could not set {user.UserName}'s password:", async () =>
    {
        await UserAdmin.ResetPasswordAsync(user.Id, ResetPasswords.GetValueOrDefault(user.Id) ?? "", CancellationToken.None);
        ResetPasswords.Remove(user.Id);
    });

    private Task DeleteAsync(UserAccount user) => RunAsync($"Deleting {user.UserName}…", $"Could not delete {user.UserName}:", async () =>
    {
        ConfirmDelete = null;
        await UserAdmin.DeleteAsync(user.Id, CancellationToken.None);
        await LoadAsync();
    });

    private Task RunAsync(string label, string errorTitle, Func<Task> work) => Work.RunAsync(label, errorTitle, work, StateHasChanged);
}
