using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace ContainerConsole.Web.Components.Shared;

/// <summary>
/// Asks before a destructive action (remove, delete). Shown while the page wants an answer: the page renders it
/// and drops it again from <see cref="OnConfirm"/> or <see cref="OnCancel"/>.
/// </summary>
public partial class ConfirmDialog
{
    private ElementReference _confirm;

    // Unique per instance: two dialogs on a page must not share the ids their labels point to.
    private readonly string _idPrefix = "confirm-" + Guid.NewGuid().ToString("N")[..8];

    [Parameter, EditorRequired]
    public string Title { get; set; } = "";

    /// <summary>What will happen, e.g. "Remove 3 containers, running ones too?".</summary>
    [Parameter]
    public RenderFragment? ChildContent { get; set; }

    [Parameter]
    public string ConfirmText { get; set; } = "Remove";

    /// <summary>The confirm button's accessible name when the text alone is ambiguous.</summary>
    [Parameter]
    public string? ConfirmLabel { get; set; }

    [Parameter]
    public EventCallback OnConfirm { get; set; }

    [Parameter]
    public EventCallback OnCancel { get; set; }

    private string TitleId => _idPrefix + "-title";

    private string MessageId => _idPrefix + "-message";

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await _confirm.FocusAsync();
        }
    }

    private Task ConfirmAsync() => OnConfirm.InvokeAsync();

    private Task CancelAsync() => OnCancel.InvokeAsync();

    private Task OnKeyDownAsync(KeyboardEventArgs args) => args.Key == "Escape" ? CancelAsync() : Task.CompletedTask;
}
