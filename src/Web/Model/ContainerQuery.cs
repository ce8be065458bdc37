using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>Columns the containers table sorts by.</summary>
public enum ContainerColumn
{
    Name,
    Image,
    Command,
    Created,
    Status,
    Host,
}

/// <summary>
/// The containers table's search, filters and sort order. Empty filters match everything; all given ones must match.
/// </summary>
/// <param name="Search">Part of the name, image, command, host or state, or the start of the id (case-insensitive).</param>
/// <param name="State">Docker state word (running, exited…), exact.</param>
/// <param name="Host">Host name, exact.</param>
/// <param name="Label"><c>key</c> (present) or <c>key=value</c>.</param>
/// <param name="Image">Part of the image reference.</param>
/// <param name="SortBy">Column to sort by.</param>
/// <param name="Descending">Sort order.</param>
public sealed record ContainerQuery(
    string Search = "",
    string State = "",
    string Host = "",
    string Label = "",
    string Image = "",
    ContainerColumn SortBy = ContainerColumn.Name,
    bool Descending = false)
{
    public List<ContainerSummary> Apply(IEnumerable<ContainerSummary> containers)
    {
        var matching = containers.Where(Matches);
        var key = SortKey(SortBy);
        var ordered = SortBy == ContainerColumn.Created
            ? (Descending ? matching.OrderByDescending(c => c.Created) : matching.OrderBy(c => c.Created))
            : (Descending ? matching.OrderByDescending(key, StringComparer.OrdinalIgnoreCase) : matching.OrderBy(key, StringComparer.OrdinalIgnoreCase));
        // Ties (same image, same host…) keep a stable order by name, then id.
        return ordered.ThenBy(Names.Display, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Clicking a column: sort by it, or flip the order when it is already the sort column.</summary>
    public ContainerQuery SortedBy(ContainerColumn column) =>
        column == SortBy ? this with { Descending = !Descending } : this with { SortBy = column, Descending = column == ContainerColumn.Created };

    public bool Matches(ContainerSummary c)
    {
        if (State.Length > 0 && !string.Equals(c.State, State, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Host.Length > 0 && !string.Equals(c.Host, Host, StringComparison.Ordinal))
        {
            return false;
        }

        if (Image.Length > 0 && !c.Image.Contains(Image.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Label.Length > 0 && !HasLabel(c, Label.Trim()))
        {
            return false;
        }

        var term = Search.Trim();
        return term.Length == 0
            || Names.Display(c).Contains(term, StringComparison.OrdinalIgnoreCase)
            || c.Image.Contains(term, StringComparison.OrdinalIgnoreCase)
            || (c.Command?.Contains(term, StringComparison.OrdinalIgnoreCase) ?? false)
            || c.Host.Contains(term, StringComparison.OrdinalIgnoreCase)
            || c.State.Contains(term, StringComparison.OrdinalIgnoreCase)
            || c.Id.StartsWith(term, StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasLabel(ContainerSummary c, string label)
    {
        if (c.Labels is not { } labels)
        {
            return false;
        }

        var equals = label.IndexOf('=');
        return equals < 0
            ? labels.ContainsKey(label)
            : labels.TryGetValue(label[..equals], out var value) && value == label[(equals + 1)..];
    }

    private static Func<ContainerSummary, string> SortKey(ContainerColumn column) => column switch
    {
        ContainerColumn.Image => c => c.Image,
        ContainerColumn.Command => c => c.Command ?? "",
        ContainerColumn.Status => c => c.State + " " + c.Status,
        ContainerColumn.Host => c => c.Host,
        _ => Names.Display,
    };
}

/// <summary>How the console names and describes a container.</summary>
public static class Names
{
    public static string Display(ContainerSummary container) =>
        container.Names.Count > 0 ? container.Names[0].TrimStart('/') : ShortId(container.Id);

    public static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary>Docker puts health in the status text: "Up 3 minutes (healthy)", "(unhealthy)", "(health: starting)".</summary>
    public static string? Health(ContainerSummary container) => container.Status switch
    {
        var s when s.Contains("(unhealthy)", StringComparison.Ordinal) => "unhealthy",
        var s when s.Contains("(healthy)", StringComparison.Ordinal) => "healthy",
        var s when s.Contains("(health: starting)", StringComparison.Ordinal) => "starting",
        _ => null,
    };

    /// <summary>Badge tone of a Docker state word.</summary>
    public static string StateTone(string state) => state switch
    {
        "running" => "ok",
        "paused" or "restarting" or "created" or "removing" => "warn",
        "dead" => "error",
        _ => "neutral",
    };
}

/// <summary>
/// The list the containers page shows, kept from <see cref="IContainerFeed"/> messages: a snapshot replaces
/// everything, a later message replaces the containers of the hosts it names.
/// </summary>
public sealed class ContainerListModel
{
    private readonly Dictionary<string, IReadOnlyList<ContainerSummary>> _byHost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HostError> _unreachable = new(StringComparer.Ordinal);

    public IReadOnlyList<ContainerSummary> All { get; private set; } = [];

    public IReadOnlyList<HostError> Unreachable => _unreachable.Values.OrderBy(e => e.Host, StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Hosts => _byHost.Keys.Concat(_unreachable.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    public void Apply(ContainerFeedUpdate update)
    {
        if (update.IsSnapshot)
        {
            _byHost.Clear();
            _unreachable.Clear();
        }

        foreach (var host in update.Hosts)
        {
            _byHost[host] = update.Containers.Where(c => c.Host == host).ToList();
            _unreachable.Remove(host);
        }

        foreach (var error in update.UnreachableHosts)
        {
            _unreachable[error.Host] = error;
        }

        All = _byHost.Values.SelectMany(list => list).ToList();
    }
}
