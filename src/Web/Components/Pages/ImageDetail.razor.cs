using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>One image: its facts, history, layers and inspect; operators tag, push (with per-layer progress) and remove it.</summary>
public partial class ImageDetail
{
    private readonly CancellationTokenSource _disposed = new();

    [Parameter]
    public string Host { get; set; } = "";

    [Parameter]
    public string Id { get; set; } = "";

    [Inject]
    private IImageService ImageService { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    internal ImageDetails? Details { get; private set; }

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    private PageWork Work { get; } = new();

    /// <summary>Change controls show to operators once the page is interactive (prerendered, they could not work).</summary>
    private bool CanChange => Rights.CanOperate && RendererInfo.IsInteractive;

    private string Title => Details?.RepoTags.FirstOrDefault() ?? ImageRow.ShortId(Id);

    private string? LoadError { get; set; }

    private string TagRepository { get; set; } = "";

    private string TagName { get; set; } = "latest";

    private string? TagError { get; set; }

    private string PushReference { get; set; } = "";

    private bool ForceRemove { get; set; }

    private ImageOperation Push { get; } = new();

    protected override async Task OnParametersSetAsync()
    {
        Rights = await Access.GetRightsAsync(_disposed.Token);
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        try
        {
            Details = await ImageService.GetAsync(Host, Id, _disposed.Token);
            LoadError = null;
            if (!Details.RepoTags.Contains(PushReference))
            {
                PushReference = Details.RepoTags.FirstOrDefault() ?? "";
            }
        }
        catch (Exception ex) when (ex is KeyNotFoundException or ConsoleOperationException)
        {
            LoadError = ex.Message;
        }
    }

    private async Task TagAsync()
    {
        TagError = ResourceForms.ImageReference(TagRepository) ?? ResourceForms.Tag(TagName);
        if (TagError is not null)
        {
            return;
        }

        await RunAsync($"Tagging as {TagRepository}:{TagName}…", $"Could not tag as {TagRepository}:{TagName}:",
            () => ImageService.TagAsync(Host, Id, TagRepository.Trim(), TagName.Trim(), _disposed.Token));
    }

    private async Task PushAsync()
    {
        var reference = PushReference;
        await Push.RunAsync(() => ImageService.PushAsync(Host, reference, _disposed.Token), () => InvokeAsync(StateHasChanged), _disposed.Token);
    }

    private async Task RemoveAsync()
    {
        if (await Work.RunAsync("Removing the image…", "Could not remove the image:",
                () => ImageService.RemoveAsync(Host, Id, ForceRemove, _disposed.Token), StateHasChanged))
        {
            Navigation.NavigateTo("images");
        }
    }

    /// <summary>Runs one change with a progress label; a refusal shows with its reason; then the data is read again.</summary>
    private async Task RunAsync(string label, string failure, Func<Task> change)
    {
        if (await Work.RunAsync(label, failure, change, StateHasChanged))
        {
            await LoadAsync();
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
