using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace ContainerConsole.Web.Components.Containers;

/// <summary>
/// Creates and starts a container on a chosen host. Typed text is read as the user goes (shape errors at once, the
/// docker run line kept current); the server checks the settings again and its messages land on the same fields.
/// </summary>
public partial class RunDialog : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private Dictionary<string, string> _errors = [];
    private bool _submitted;

    [Inject]
    private IContainerRunner Runner { get; set; } = default!;

    /// <summary>The hosts a container may be run on; the first is chosen at first.</summary>
    [Parameter, EditorRequired]
    public IReadOnlyList<string> Hosts { get; set; } = [];

    /// <summary>Called with the host and the new container's id once it runs.</summary>
    [Parameter]
    public EventCallback<(string Host, string Id)> OnStarted { get; set; }

    [Parameter]
    public EventCallback OnClose { get; set; }

    internal RunForm Form { get; } = new();

    internal string SelectedHost { get; private set; } = "";

    internal RunChoices Choices { get; private set; } = new([], []);

    internal bool ShowCommand { get; set; }

    /// <summary>The docker run line of the fields as they are, or null while some cannot be read.</summary>
    internal string? CommandLine { get; private set; }

    internal bool Running { get; private set; }

    internal string? RunError { get; set; }

    private string? ChoicesError { get; set; }

    private string ChoicesErrorTitle => $"Could not list the images and networks of {SelectedHost}:";

    protected override async Task OnInitializedAsync()
    {
        SelectedHost = Hosts.FirstOrDefault() ?? "";
        Changed();
        await LoadChoicesAsync();
    }

    private async Task HostChangedAsync(ChangeEventArgs args)
    {
        SelectedHost = args.Value as string ?? "";
        await LoadChoicesAsync();
    }

    private async Task LoadChoicesAsync()
    {
        ChoicesError = null;
        if (SelectedHost.Length == 0)
        {
            return;
        }

        try
        {
            Choices = await Runner.GetChoicesAsync(SelectedHost, _disposed.Token);
        }
        catch (Exception ex) when (ex is ConsoleOperationException or KeyNotFoundException)
        {
            Choices = new([], []);
            ChoicesError = ex.Message;
        }
    }

    /// <summary>Reads the fields again: the command line follows every keystroke; errors show once Run was pressed or a field is wrong in shape.</summary>
    internal void Changed()
    {
        var (request, errors) = Form.Read();
        CommandLine = request is null ? null : DockerRunCommand.Format(request);
        // Before the first Run, an empty image is not yet a mistake worth shouting about.
        if (!_submitted)
        {
            errors.Remove(RunForm.Image);
        }

        _errors = errors;
    }

    private void AddMount()
    {
        Form.MountRows.Add(new MountRow());
        Changed();
    }

    private void RemoveMount(MountRow row)
    {
        Form.MountRows.Remove(row);
        Changed();
    }

    internal string? ErrorOf(string field) => _errors.GetValueOrDefault(field);

    private string? Invalid(string field) => _errors.ContainsKey(field) ? "true" : null;

    internal async Task RunAsync()
    {
        _submitted = true;
        RunError = null;
        var (request, errors) = Form.Read();
        _errors = errors;
        if (request is null)
        {
            return;
        }

        Running = true;
        try
        {
            var id = await Runner.RunAsync(SelectedHost, request, _disposed.Token);
            Running = false;
            await OnStarted.InvokeAsync((SelectedHost, id));
        }
        catch (ConsoleValidationException ex)
        {
            _errors = ex.Errors
                .GroupBy(e => RunForm.FieldOf(e.Key))
                .ToDictionary(g => g.Key, g => string.Join(" ", g.SelectMany(e => e.Value)));
            RunError = "The server refused some settings; see the marked fields.";
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException or KeyNotFoundException)
        {
            RunError = ex.Message;
        }
        finally
        {
            Running = false;
        }
    }

    private Task CloseAsync() => OnClose.InvokeAsync();

    private Task OnKeyDown(KeyboardEventArgs args) => args.Key == "Escape" ? CloseAsync() : Task.CompletedTask;

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
