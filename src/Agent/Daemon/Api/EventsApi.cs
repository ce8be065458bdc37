using System.Globalization;
using System.Text.Json;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>GET /events: the history since <c>since</c>, then live events until <c>until</c> or until the client goes.</summary>
public static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/events", StreamAsync);
        return app;
    }

    private static async Task StreamAsync(HttpContext http, EventBus bus, IHostApplicationLifetime lifetime, string? since, string? until, string? filters, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var filter = new EventFilter(DockerFilters.Parse(filters, EventFilter.Known));
        var from = ParseTime("since", since, now);
        var to = ParseTime("until", until, now);
        if (from is not null && to is not null && from > to)
            throw EngineException.BadRequest("`since` time cannot be after `until` time");

        using var subscription = bus.Subscribe();
        // a stream ends with the agent too, not after its shutdown timeout
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
        http.Response.ContentType = "application/json";
        await http.Response.StartAsync(cts.Token);
        await http.Response.Body.FlushAsync(cts.Token); // the CLI waits for the headers before it prints anything
        bool Wanted(EngineEvent e) => (from is null || e.Time >= from) && (to is null || e.Time <= to) && filter.Matches(e);
        try
        {
            if (from is not null)
                foreach (var e in subscription.History.Where(Wanted))
                    await WriteAsync(http, e, cts.Token);
            if (to is { } end)
            {
                var left = end - DateTimeOffset.UtcNow;
                if (left <= TimeSpan.Zero)
                    return;
                cts.CancelAfter(left);
            }
            await foreach (var e in subscription.Live.ReadAllAsync(cts.Token))
                if (Wanted(e))
                    await WriteAsync(http, e, cts.Token);
        }
        catch (OperationCanceledException)
        {
            // until reached, the client went away, or the agent stops: the stream simply ends
        }
    }

    private static DateTimeOffset? ParseTime(string name, string? value, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        try
        {
            return DockerFilters.ParseTime(value, now);
        }
        catch (EngineException)
        {
            throw EngineException.BadRequest($"invalid value for '{name}': \"{value}\" is not a timestamp (Unix seconds, RFC 3339) or a duration such as 10m");
        }
    }

    private static async Task WriteAsync(HttpContext http, EngineEvent e, CancellationToken ct)
    {
        await http.Response.Body.WriteAsync(Serialize(e), ct);
        await http.Response.Body.FlushAsync(ct);
    }

    /// <summary>Docker's event message, with the legacy status/id/from fields that old clients read.</summary>
    public static byte[] Serialize(EngineEvent e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (e.Type is "container" or "image")
            {
                w.WriteString("status", e.Action);
                w.WriteString("id", e.ActorId);
                if (e.Type == "container" && e.Attributes.TryGetValue("image", out var image))
                    w.WriteString("from", image);
            }
            w.WriteString("Type", e.Type);
            w.WriteString("Action", e.Action);
            w.WriteStartObject("Actor");
            w.WriteString("ID", e.ActorId);
            w.WriteStartObject("Attributes");
            foreach (var (k, v) in e.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
                w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("scope", "local");
            w.WriteNumber("time", e.TimeNano / 1_000_000_000);
            w.WriteNumber("timeNano", e.TimeNano);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}

/// <summary>
/// Docker's event filters: values of one filter are alternatives, different filters must all match.
/// event matches the action or its part before ':' (health_status: healthy matches health_status).
/// </summary>
public sealed class EventFilter(DockerFilters filters)
{
    public static readonly string[] Known =
        ["type", "container", "image", "event", "label", "daemon", "scope", "network", "volume", "plugin", "node", "service", "secret", "config"];

    public bool Matches(EngineEvent e) =>
        Any("type", t => t == e.Type)
        && Any("event", a => a == e.Action || a == ActionVerb(e.Action))
        && Any("scope", s => s == "local")
        && Any("container", c => e.Type == "container" && NameOrId(e, c))
        && Any("image", i => ImageMatches(e, i))
        && Any("daemon", d => e.Type == "daemon" && NameOrId(e, d))
        && Any("network", n => e.Type == "network" && NameOrId(e, n))
        && Any("volume", v => e.Type == "volume" && NameOrId(e, v))
        && Any("plugin", p => e.Type == "plugin" && NameOrId(e, p))
        && Any("node", n => e.Type == "node" && NameOrId(e, n))
        && Any("service", s => e.Type == "service" && NameOrId(e, s))
        && Any("secret", s => e.Type == "secret" && NameOrId(e, s))
        && Any("config", c => e.Type == "config" && NameOrId(e, c))
        && filters.MatchesLabels(e.Attributes);

    private bool Any(string name, Func<string, bool> match)
    {
        var values = filters.Get(name);
        return values.Count == 0 || values.Any(match);
    }

    private static string ActionVerb(string action) => action.Contains(':') ? action[..action.IndexOf(':')] : action;

    // a container is named by its full or short ID, or by its name
    private static bool NameOrId(EngineEvent e, string value) =>
        (value.Length > 0 && e.ActorId.StartsWith(value, StringComparison.Ordinal))
        || (e.Attributes.TryGetValue("name", out var name) && name == value.TrimStart('/'));

    // image=busybox matches busybox and busybox:latest, on a container's image or an image event's actor or name
    private static bool ImageMatches(EngineEvent e, string value)
    {
        var names = e.Type switch
        {
            "container" => [e.Attributes.GetValueOrDefault("image") ?? ""],
            "image" => new[] { e.ActorId, e.Attributes.GetValueOrDefault("name") ?? "" },
            _ => [],
        };
        return names.Any(n => n.Length > 0 && (n == value || StripTag(n) == value || n == "sha256:" + value));
    }

    private static string StripTag(string reference)
    {
        var at = reference.IndexOf('@');
        if (at >= 0)
            return reference[..at];
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? reference[..colon] : reference;
    }
}
