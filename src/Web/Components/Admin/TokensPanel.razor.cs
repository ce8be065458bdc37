using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace ContainerConsole.Web.Components.Admin;

/// <summary>The signed-in user's API tokens (every role has them).</summary>
public partial class TokensPanel
{
    /// <summary>The change under way, or the last one\'s failure.</summary>
    internal PageWork Work { get; } = new();

    internal static readonly int[] Lifetimes = [7, 30, 90, 365];

    [Inject]
    private IApiTokenService TokenService { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    internal IReadOnlyList<ApiTokenSummary> Tokens { get; private set; } = [];

    internal string NewName { get; set; } = "";

    internal int NewDays { get; set; } = 30;

    /// <summary>The token just created, shown until dismissed; never kept elsewhere.</summary>
    internal CreatedApiToken? Created { get; private set; }

    private bool Copied { get; set; }


    protected override Task OnInitializedAsync() => RunAsync("Loading your tokens…", "Could not list your tokens:", LoadAsync);

    private async Task LoadAsync() => Tokens = await TokenService.ListAsync(CancellationToken.None);

    internal Task CreateAsync() => RunAsync($"Creating {NewName}…", $"Could not create the token {NewName}:", async () =>
    {
        Created = await TokenService.CreateAsync(NewName, NewDays, CancellationToken.None);
        Copied = false;
        NewName = "";
        await LoadAsync();
    });

    private Task RevokeAsync(ApiTokenSummary token) => RunAsync($"Revoking {token.Name}…", $"Could not revoke {token.Name}:", async () =>
    {
        await TokenService.RevokeAsync(token.Id, CancellationToken.None);
        await LoadAsync();
    });

    private async Task CopyAsync()
    {
        if (Created is null)
        {
            return;
        }

        try
        {
            await JS.InvokeVoidAsync("navigator.clipboard.writeText", Created.Secret);
            Copied = true;
        }
        catch (JSException ex)
        {
            Work.Fail("Could not copy (select the token and copy it by hand):", ex.Message);
        }
    }

    private Task RunAsync(string label, string errorTitle, Func<Task> work) => Work.RunAsync(label, errorTitle, work, StateHasChanged);

    private string State(ApiTokenSummary token) =>
        token.RevokedAt is not null ? "revoked" : token.ExpiresAt <= Clock.GetUtcNow() ? "expired" : "active";

    private static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm");
}
