using System.Runtime.CompilerServices;
using ContainerConsole.Server.Agents;
using Microsoft.AspNetCore.SignalR;

namespace ContainerConsole.Server.Hubs;

internal static class HubErrors
{
    /// <summary>
    /// Passes <paramref name="source"/> on, turning the failures a client should read (agent unreachable or
    /// refusing, its stream broken off, slow client) into <see cref="HubException"/>s: SignalR hides every other exception's message.
    /// </summary>
    public static async IAsyncEnumerable<T> Explained<T>(this IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var items = source.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await items.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException or SlowClientException)
            {
                throw new HubException(ex.Message);
            }
            catch (IOException ex)
            {
                throw new HubException($"the agent's stream broke off: {ex.Message}");
            }

            yield return items.Current;
        }
    }
}
