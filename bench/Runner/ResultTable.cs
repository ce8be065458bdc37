using System.Globalization;
using System.Text;

namespace ContainerConsole.Bench;

/// <summary>A goal on the ratio ours/peer: at most <see cref="Limit"/> (times, sizes) or at least (throughputs).</summary>
public sealed record Goal(double Limit, bool AtMost)
{
    public static Goal Max(double limit) => new(limit, AtMost: true);
    public static Goal Min(double limit) => new(limit, AtMost: false);
    public bool MetBy(double ratio) => AtMost ? ratio <= Limit : ratio >= Limit;
    public override string ToString() => (AtMost ? "≤ " : "≥ ") + Limit.ToString("0.0#", CultureInfo.InvariantCulture) + "×";
}

/// <param name="Ratio">Ours divided by the peer's, when both were measured.</param>
/// <param name="Note">What the goal is about when it is not a ratio (e.g. "0 lost").</param>
public sealed record ResultRow(string Figure, string Ours, string Peer, double? Ratio, Goal? Goal = null, bool? Met = null, string Note = "");

/// <summary>The figures of one run, printed as a markdown table.</summary>
public sealed class ResultTable
{
    private readonly List<ResultRow> _rows = [];

    public IReadOnlyList<ResultRow> Rows => _rows;

    public void Add(ResultRow row)
    {
        _rows.Add(row);
        Console.Error.WriteLine($"  {row.Figure}: ours {row.Ours}, peer {row.Peer}" + (row.Ratio is { } r ? $", ratio {r:0.00}×" : ""));
    }

    public void Failed(string figure, Exception e)
    {
        _rows.Add(new ResultRow(figure, "failed", "", null, Note: e.Message.Split('\n')[0]));
        Console.Error.WriteLine($"  {figure}: failed: {e}");
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Figure | Ours | Peer | Ratio (ours/peer) | Goal | Met |");
        sb.AppendLine("| --- | ---: | ---: | ---: | --- | --- |");
        foreach (var r in _rows)
        {
            var met = r.Met ?? (r.Goal is not null && r.Ratio is { } ratio ? r.Goal.MetBy(ratio) : null);
            var goal = string.Join(", ", new[] { r.Goal?.ToString(), r.Note }.Where(s => !string.IsNullOrEmpty(s)));
            var ratioText = r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "";
            sb.AppendLine($"| {r.Figure} | {r.Ours} | {r.Peer} | {ratioText} | {goal} | {(met is null ? "" : met.Value ? "yes" : "**no**")} |");
        }
        return sb.ToString();
    }
}
