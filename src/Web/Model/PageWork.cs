using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>
/// One change at a time on a page: while it runs, a label for the progress indicator; when the server refuses it or it
/// fails, what failed and why, until dismissed or the next change.
/// </summary>
public sealed class PageWork
{
    public bool Busy { get; private set; }

    public string Label { get; private set; } = "";

    public string? ErrorTitle { get; private set; }

    public string? Error { get; private set; }

    public void Dismiss() => Error = null;

    /// <summary>Shows <paramref name="reason"/> under <paramref name="title"/>.</summary>
    public void Fail(string title, string reason)
    {
        ErrorTitle = title;
        Error = reason;
    }

    /// <summary>Runs <paramref name="change"/> (rendering first, so the label shows); false when it was refused or failed.</summary>
    public async Task<bool> RunAsync(string label, string failure, Func<Task> change, Action render)
    {
        Busy = true;
        Label = label;
        Error = null;
        render();
        try
        {
            await change();
            return true;
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException or KeyNotFoundException)
        {
            Fail(failure, ex.Message);
            return false;
        }
        finally
        {
            Busy = false;
        }
    }
}
