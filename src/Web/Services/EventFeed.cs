namespace ContainerConsole.Web.Services;

/// <summary>One agent event (Docker's <c>/events</c> message) tagged with its host.</summary>
/// <param name="Host">The host it happened on.</param>
/// <param name="Type">container, image, network, volume, …</param>
/// <param name="Action">start, die, pull, create, … (an exec's action carries its command after a colon).</param>
/// <param name="ActorId">The object's id.</param>
/// <param name="Name">The object's name when the event names it (a container's or volume's name, an image's reference).</param>
/// <param name="Attributes">The event's attributes (exit code, image, labels…).</param>
/// <param name="Time">When the agent saw it.</param>
public sealed record ConsoleEvent(
    string Host,
    string Type,
    string Action,
    string? ActorId,
    string? Name,
    IReadOnlyDictionary<string, string> Attributes,
    DateTimeOffset Time);

/// <summary>The events of every host, live (the server's shared event feed). Implemented by the server.</summary>
public interface IEventFeed
{
    /// <summary>
    /// New events of every host registered when called, as they happen. Ends with <see cref="ConsoleOperationException"/>
    /// when the subscriber fell too far behind or a host's stream failed; subscribe again to go on.
    /// </summary>
    IAsyncEnumerable<ConsoleEvent> WatchAsync(CancellationToken cancellationToken);
}
