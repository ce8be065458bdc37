using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.ContainerTabs;

/// <summary>Commits the container to repo:tag with a message and author (operator; the server checks and audits).</summary>
public partial class CommitView
{
    [Inject]
    private IContainerInspection Inspection { get; set; } = default!;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    internal string Repository { get; set; } = "";

    internal string Tag { get; set; } = "";

    internal string Message { get; set; } = "";

    internal string Author { get; set; } = "";

    internal string? Committed { get; private set; }

    private bool Busy { get; set; }

    private string? Error { get; set; }

    private string? FieldError { get; set; }

    internal async Task CommitAsync()
    {
        Error = null;
        FieldError = null;
        Committed = null;
        if (Repository.Trim().Length == 0)
        {
            FieldError = "A repository is required (e.g. team/app).";
            return;
        }

        Busy = true;
        try
        {
            var tag = Tag.Trim().Length > 0 ? Tag.Trim() : "latest";
            var id = await Inspection.CommitAsync(Host, ContainerId,
                new CommitImageRequest(Repository.Trim(), tag, Blank(Message), Blank(Author)), CancellationToken.None);
            Committed = $"{Repository.Trim()}:{tag} ({(id.Length > 19 ? id[..19] : id)})";
        }
        catch (ConsoleValidationException ex)
        {
            FieldError = ex.Message;
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException)
        {
            Error = ex.Message;
        }
        finally
        {
            Busy = false;
        }
    }

    private static string? Blank(string text) => text.Trim() is { Length: > 0 } t ? t : null;
}
