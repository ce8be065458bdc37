using System.Threading.Channels;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Components.Shared;

/// <summary>
/// A polling page that also loads again as soon as the agents report an event it shows (the server's shared event
/// feed), so a change made elsewhere appears at once; the poll stays as the fallback for what no event reports and
/// for while the feed is down. Without a feed (none registered) it only polls.
/// </summary>
public abstract class EventRefreshedComponentBase : PollingComponentBase
{
    [Inject]
    private IServiceProvider Services { get; set; } = default!;

    /// <summary>Whether the event changes what the page shows.</summary>
    protected abstract bool Concerns(ConsoleEvent e);

    protected override void OnAfterRender(bool firstRender)
    {
        base.OnAfterRender(firstRender);
        if (firstRender && RendererInfo.IsInteractive && Services.GetService<IEventFeed>() is { } feed)
        {
            _ = FollowAsync(feed, Stopping); // ends when the page is left; it catches its own failures
        }
    }

    /// <summary>Follows until <paramref name="stopping"/> (the token, not the page's source, which is disposed on leaving).</summary>
    private async Task FollowAsync(IEventFeed feed, CancellationToken stopping)
    {
        // One pending reload at most: a burst of events (a pull, a prune) while loading gives one more load, not one each.
        var pending = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var reloading = ReloadAsync(pending.Reader, stopping);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await foreach (var e in feed.WatchAsync(stopping))
                    {
                        if (Concerns(e))
                        {
                            pending.Writer.TryWrite(true);
                        }
                    }
                }
                catch (ConsoleOperationException)
                {
                    // Fell behind or a host's stream failed: events may be lost, so load once, and follow again after a poll's wait.
                    pending.Writer.TryWrite(true);
                    await Task.Delay(RefreshInterval, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The page was left.
        }
        finally
        {
            pending.Writer.TryComplete();
            await reloading;
        }
    }

    private async Task ReloadAsync(ChannelReader<bool> pending, CancellationToken stopping)
    {
        try
        {
            await foreach (var _ in pending.ReadAllAsync(stopping))
            {
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
