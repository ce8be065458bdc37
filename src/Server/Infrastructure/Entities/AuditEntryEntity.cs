namespace ContainerConsole.Server.Infrastructure.Entities;

/// <summary>
/// One line of the audit log: a mutating API call (<see cref="Source"/> <c>api</c>) or an event an agent
/// reported (<c>agent</c>).
/// </summary>
public sealed class AuditEntryEntity
{
    public long Id { get; set; }

    public DateTimeOffset Time { get; set; }

    /// <summary><c>api</c> or <c>agent</c>.</summary>
    public required string Source { get; set; }

    public string? UserId { get; set; }

    public string? UserName { get; set; }

    /// <summary><c>cookie</c>, <c>token</c> or <c>none</c> (API calls only).</summary>
    public string? AuthMethod { get; set; }

    public string? RemoteAddress { get; set; }

    /// <summary><c>POST /api/v1/users/{id}</c> (the route pattern), or <c>container.die</c> for an agent event.</summary>
    public required string Action { get; set; }

    /// <summary>The request path as sent (API calls only).</summary>
    public string? Path { get; set; }

    /// <summary>What the call or event was about: route values such as <c>host/container-id</c>, or the event's actor id.</summary>
    public string? Target { get; set; }

    public string? Host { get; set; }

    public int? StatusCode { get; set; }

    /// <summary><c>success</c>, <c>denied</c> (401/403), <c>failed</c> (other errors) or <c>event</c>.</summary>
    public required string Result { get; set; }

    public double? DurationMs { get; set; }

    /// <summary>Event attributes as JSON (agent events).</summary>
    public string? Details { get; set; }

    /// <summary>Identity of an agent event (host, time, type, action, actor), unique so a replayed event is stored once.</summary>
    public string? EventKey { get; set; }

    /// <summary>The agent's <c>timeNano</c> of the event: where to resume the event stream after a drop.</summary>
    public long? EventTimeNano { get; set; }
}
