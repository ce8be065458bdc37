using System.Diagnostics;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>
/// Runs one long image operation for a page: folds its messages into <see cref="Progress"/> and asks the page to
/// render as they come (at most every <see cref="RenderEvery"/>, and once at the end), and keeps why it was refused.
/// </summary>
public sealed class ImageOperation
{
    public static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(100);

    public ImageProgressModel Progress { get; private set; } = new();

    public bool Running { get; private set; }

    /// <summary>Why the server refused or could not start it (role, unknown host, agent unreachable).</summary>
    public string? Refused { get; private set; }

    /// <summary>Ended without a refusal and without an error message from the agent.</summary>
    public bool Succeeded => !Running && Refused is null && Progress.Error is null;

    /// <summary>Runs <paramref name="messages"/> to the end. Returns whether it succeeded.</summary>
    public async Task<bool> RunAsync(Func<IAsyncEnumerable<ImageProgress>> messages, Func<Task> render, CancellationToken cancellationToken)
    {
        Progress = new ImageProgressModel();
        Refused = null;
        Running = true;
        await render();
        var lastRender = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var message in messages().WithCancellation(cancellationToken))
            {
                Progress.Apply(message);
                if (Stopwatch.GetElapsedTime(lastRender) >= RenderEvery)
                {
                    lastRender = Stopwatch.GetTimestamp();
                    await render();
                }
            }
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException or KeyNotFoundException)
        {
            Refused = ex.Message;
        }
        finally
        {
            Running = false;
        }

        await render();
        return Succeeded;
    }
}
