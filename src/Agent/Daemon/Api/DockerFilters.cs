using System.Text.Json;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>
/// The <c>filters</c> query parameter: JSON mapping a filter name to its values, either as a list
/// (<c>{"dangling":["true"]}</c>, API 1.22+) or as a set (<c>{"dangling":{"true":true}}</c>, what older clients send).
/// </summary>
public sealed class DockerFilters
{
    private readonly Dictionary<string, List<string>> _values;

    private DockerFilters(Dictionary<string, List<string>> values) => _values = values;

    public static DockerFilters Parse(string? json, params string[] known)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json))
            return new DockerFilters(values);
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw EngineException.BadRequest($"invalid filter: expected a JSON object, got {doc.RootElement.ValueKind}");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!known.Contains(p.Name))
                    throw EngineException.BadRequest($"invalid filter '{p.Name}'");
                var list = new List<string>();
                if (p.Value.ValueKind == JsonValueKind.Array)
                    list.AddRange(p.Value.EnumerateArray().Select(v => v.GetString() ?? ""));
                else if (p.Value.ValueKind == JsonValueKind.Object)
                    list.AddRange(p.Value.EnumerateObject().Where(v => v.Value.ValueKind == JsonValueKind.True).Select(v => v.Name));
                else
                    throw EngineException.BadRequest($"invalid filter '{p.Name}': expected a list of strings");
                values[p.Name] = list;
            }
        }
        catch (JsonException e)
        {
            throw EngineException.BadRequest($"invalid filter: {e.Message}");
        }
        return new DockerFilters(values);
    }

    public IReadOnlyList<string> Get(string name) => _values.GetValueOrDefault(name) ?? [];

    /// <summary>A boolean filter (dangling=true|false|1|0); null when absent.</summary>
    public bool? Bool(string name)
    {
        var v = Get(name);
        if (v.Count == 0)
            return null;
        if (v.Count > 1)
            throw EngineException.BadRequest($"invalid filter '{name}': only one value is allowed");
        return v[0].ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw EngineException.BadRequest($"invalid filter '{name}={v[0]}': expected true or false"),
        };
    }

    /// <summary>
    /// label=k, label=k=v (all must match) and label!=k, label!=k=v (none may match) against <paramref name="labels"/>.
    /// </summary>
    public bool MatchesLabels(IReadOnlyDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        static bool Has(IReadOnlyDictionary<string, string> labels, string expr)
        {
            var eq = expr.IndexOf('=');
            return eq < 0 ? labels.ContainsKey(expr) : labels.TryGetValue(expr[..eq], out var v) && v == expr[(eq + 1)..];
        }
        return Get("label").All(e => Has(labels, e)) && !Get("label!").Any(e => Has(labels, e));
    }

    /// <summary>until=&lt;timestamp or Go duration&gt;: true when <paramref name="created"/> is before it.</summary>
    public bool CreatedBefore(DateTimeOffset? created, DateTimeOffset now)
    {
        var until = Get("until");
        if (until.Count == 0)
            return true;
        var limit = until.Select(u => ParseTime(u, now)).Min();
        return created is { } c && c < limit;
    }

    /// <summary>Docker accepts Unix seconds (with fraction), RFC 3339 dates and Go durations (10m, 24h, 1h30m) ago.</summary>
    public static DateTimeOffset ParseTime(string text, DateTimeOffset now)
    {
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var unix))
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date))
            return date;
        if (TryParseGoDuration(text, out var d))
            return now - d;
        throw EngineException.BadRequest($"invalid filter 'until={text}': expected a timestamp or a duration such as 24h");
    }

    private static bool TryParseGoDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var m = System.Text.RegularExpressions.Regex.Matches(text, @"(\d+(?:\.\d+)?)(h|ms|m|s)");
        if (m.Count == 0 || string.Concat(m.Select(x => x.Value)) != text)
            return false;
        foreach (System.Text.RegularExpressions.Match x in m)
        {
            var n = double.Parse(x.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            duration += x.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                _ => TimeSpan.FromMilliseconds(n),
            };
        }
        return true;
    }
}
