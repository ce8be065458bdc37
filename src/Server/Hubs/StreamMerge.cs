using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace ContainerConsole.Server.Hubs;

internal static class StreamMerge
{
    /// <summary>
    /// The items of all <paramref name="sources"/> as they come. The buffer towards the client holds
    /// <paramref name="capacity"/> items; a client that lets it fill is dropped with <see cref="SlowClientException"/>
    /// instead of slowing the sources. The first source to fail ends the whole stream with its error.
    /// </summary>
    public static async IAsyncEnumerable<T> MergeAsync<T>(
        IReadOnlyList<IAsyncEnumerable<T>> sources, int capacity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var merged = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pumps = sources.Select(source => Task.Run(async () =>
        {
            try
            {
                await foreach (var item in source.WithCancellation(stop.Token))
                {
                    if (!merged.Writer.TryWrite(item))
                    {
                        merged.Writer.TryComplete(new SlowClientException(capacity));
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                merged.Writer.TryComplete(ex);
            }
        }, CancellationToken.None)).ToArray();
        _ = Task.WhenAll(pumps).ContinueWith(_ => merged.Writer.TryComplete(), TaskScheduler.Default);
        try
        {
            await foreach (var item in merged.Reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(pumps);
        }
    }
}
