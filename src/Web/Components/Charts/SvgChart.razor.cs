using System.Globalization;
using ContainerConsole.Web.Model;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Charts;

/// <summary>A named series of a graph, drawn in the colour of its class.</summary>
public sealed record ChartSeries(string Name, string CssClass, IReadOnlyList<ChartPoint> Points);

/// <summary>A line graph drawn by the server as SVG (no chart script): the scaling is <see cref="ChartScale"/>.</summary>
public partial class SvgChart
{
    private const double W = 600;
    private const double H = 150;

    [Parameter, EditorRequired]
    public string Title { get; set; } = "";

    [Parameter, EditorRequired]
    public IReadOnlyList<ChartSeries> Series { get; set; } = [];

    [Parameter, EditorRequired]
    public DateTimeOffset From { get; set; }

    [Parameter, EditorRequired]
    public DateTimeOffset To { get; set; }

    /// <summary>A dashed line at this value (e.g. the memory limit); the axis reaches it.</summary>
    [Parameter]
    public double? Limit { get; set; }

    [Parameter]
    public Func<double, string> Format { get; set; } = v => v.ToString("0.#", CultureInfo.InvariantCulture);

    [Parameter]
    public string? CssClass { get; set; }

    internal ChartScale Scale()
    {
        var max = Series.SelectMany(s => s.Points).Select(p => p.Value).DefaultIfEmpty(0).Max();
        return new ChartScale(From, To, Math.Max(max, Limit ?? 0), W, H);
    }

    private string AriaLabel() =>
        $"{Title}: " + string.Join(", ", Series.Select(s => $"{s.Name} {(s.Points.Count > 0 ? Format(s.Points[^1].Value) : "no data")}"))
        + (Limit is { } limit ? $", limit {Format(limit)}" : "");

    private static string Num(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
