using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Shared;

/// <summary>
/// A page that loads its data once when rendered and then again every <see cref="RefreshInterval"/>
/// while it is shown interactively. Polling starts after the first interactive render, so prerendering
/// loads once and starts no timer.
/// </summary>
public abstract class PollingComponentBase : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private Task? _polling;

    /// <summary>How often the data is reloaded.</summary>
    protected virtual TimeSpan RefreshInterval => TimeSpan.FromSeconds(5);

    /// <summary>When the data was last loaded, successfully or not.</summary>
    protected DateTimeOffset? LastRefresh { get; private set; }

    /// <summary>Why the last load failed, when it did.</summary>
    protected string? LoadError { get; private set; }

    /// <summary>Cancelled when the page is left: for the page's own live work beside the polling.</summary>
    protected CancellationToken Stopping => _disposed.Token;

    /// <summary>True until the first load has finished.</summary>
    protected bool Loading => LastRefresh is null;

    /// <summary>Loads the page's data into its fields.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    protected override Task OnInitializedAsync() => RefreshAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _polling = PollAsync(_disposed.Token);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await RefreshAsync();
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page was left.
        }
    }

    /// <summary>Loads the data now (as a poll does), keeping the error or the time of the load.</summary>
    protected async Task RefreshAsync()
    {
        try
        {
            await LoadAsync(_disposed.Token);
            LoadError = null;
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            LoadError = ex.Message;
        }

        LastRefresh = DateTimeOffset.Now;
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_polling is not null)
        {
            await _polling;
        }

        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
