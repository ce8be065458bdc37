using System.Globalization;
using System.Text.RegularExpressions;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>
/// GET /containers/json's selection as dockerd makes it: without all only running (and paused) containers unless a
/// status filter asks otherwise; limit takes the newest n of any state; filters combine with AND across names and
/// OR within one name.
/// </summary>
public sealed class ContainerListFilter
{
    public static readonly string[] Known =
        ["status", "name", "label", "label!", "ancestor", "id", "exited", "before", "since", "health", "isolation", "network", "volume", "publish", "expose", "is-task"];

    private static readonly string[] States = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

    private readonly DockerFilters _filters;
    private readonly bool _all;
    private readonly int _limit;
    private readonly DateTime? _before, _since;
    private readonly IReadOnlyList<int> _exited;
    private readonly Func<string, string?> _imageIdOf;
    private readonly Func<ContainerModel, bool> _isRestarting;

    /// <param name="find">Resolves before/since (id, prefix or name); throws 404 like Get.</param>
    /// <param name="imageIdOf">Resolves an ancestor reference to an image id; null when there is no such image.</param>
    /// <param name="isRestarting">Whether a container waits for a policy restart: listed as running, status "restarting".</param>
    public ContainerListFilter(DockerFilters filters, bool all, int limit, Func<string, ContainerModel> find, Func<string, string?> imageIdOf,
        Func<ContainerModel, bool>? isRestarting = null)
    {
        _filters = filters;
        _imageIdOf = imageIdOf;
        _isRestarting = isRestarting ?? (_ => false);
        foreach (var s in filters.Get("status"))
        {
            if (!States.Contains(s))
                throw EngineException.BadRequest($"invalid filter 'status={s}'");
        }
        _all = all || limit > 0 || filters.Get("status").Count > 0;
        _limit = limit;
        _exited = filters.Get("exited").Select(v => int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n : throw EngineException.BadRequest($"invalid filter 'exited={v}'")).ToList();
        if (filters.Get("before").Count > 0)
            _before = filters.Get("before").Select(v => find(v).Created).Min();
        if (filters.Get("since").Count > 0)
            _since = filters.Get("since").Select(v => find(v).Created).Max();
    }

    /// <summary>Filters <paramref name="newestFirst"/> (ordered by creation, newest first).</summary>
    public List<ContainerModel> Apply(IEnumerable<ContainerModel> newestFirst)
    {
        var selected = newestFirst.Where(Matches);
        return (_limit > 0 ? selected.Take(_limit) : selected).ToList();
    }

    public bool Matches(ContainerModel c)
    {
        var restarting = _isRestarting(c);
        if (!_all && !c.State.IsActive && !restarting)
            return false;
        var f = _filters;
        if (f.Get("status") is { Count: > 0 } st && !st.Contains(DockerViews.Status(c, restarting)))
            return false;
        if (_exited.Count > 0 && (c.State.Status != "exited" || !_exited.Contains(c.State.ExitCode)))
            return false;
        if (f.Get("name") is { Count: > 0 } names && !names.Any(n => RegexMatch(n, "/" + c.Name)))
            return false;
        if (f.Get("id") is { Count: > 0 } ids && !ids.Any(i => c.Id.StartsWith(i, StringComparison.Ordinal)))
            return false;
        if (!f.MatchesLabels(c.Config.Labels))
            return false;
        if (f.Get("ancestor") is { Count: > 0 } ancestors && !ancestors.Any(a => IsAncestor(a, c)))
            return false;
        if (_before is { } before && c.Created >= before)
            return false;
        if (_since is { } since && c.Created <= since)
            return false;
        if (f.Get("health") is { Count: > 0 } health && !health.Contains("none"))
            return false; // no health checks yet: every container is "none"
        if (f.Get("isolation") is { Count: > 0 } iso && !iso.Contains("default"))
            return false;
        return true;
    }

    private bool IsAncestor(string reference, ContainerModel c)
    {
        if (c.Config.Image == reference || (reference.Length >= 4 && c.ImageId.Replace("sha256:", "").StartsWith(reference.Replace("sha256:", ""), StringComparison.Ordinal)))
            return true;
        return _imageIdOf(reference) is { } id && id == c.ImageId;
    }

    // Docker matches names with an unanchored regular expression; a pattern that is not one matches as text.
    private static bool RegexMatch(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return value.Contains(pattern, StringComparison.Ordinal);
        }
    }
}
