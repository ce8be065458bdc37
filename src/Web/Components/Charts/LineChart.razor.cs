using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Charts;

/// <summary>Lines over a time range, with a zero-based value axis (rounded up to a readable maximum) and four grid lines.</summary>
public partial class LineChart
{
    private const double Width = 600;
    private const double Height = 160;
    private const double PadLeft = 56;
    private const double PadBottom = 14;
    private const double PadTop = 6;

    [Parameter, EditorRequired]
    public string Title { get; set; } = "";

    [Parameter, EditorRequired]
    public IReadOnlyList<ChartSeries> Series { get; set; } = [];

    /// <summary>The time range shown; the points' range when not given.</summary>
    [Parameter]
    public DateTimeOffset? From { get; set; }

    [Parameter]
    public DateTimeOffset? To { get; set; }

    /// <summary>How a value reads on the axis and in the label (e.g. "12 %", "1.5 GiB").</summary>
    [Parameter]
    public Func<double, string> Format { get; set; } = v => v.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>The value axis reaches at least this (e.g. 100 for percentages of one core).</summary>
    [Parameter]
    public double MinimumMax { get; set; }

    private DateTimeOffset Start => From ?? Series.SelectMany(s => s.Points).Select(p => p.Time).DefaultIfEmpty(DateTimeOffset.UnixEpoch).Min();

    private DateTimeOffset End => To ?? Series.SelectMany(s => s.Points).Select(p => p.Time).DefaultIfEmpty(DateTimeOffset.UnixEpoch).Max();

    /// <summary>The top of the value axis: the largest value (or <see cref="MinimumMax"/>) rounded up to 1, 2 or 5 times a power of ten.</summary>
    public double Max => NiceCeiling(Math.Max(MinimumMax, Series.SelectMany(s => s.Points).Select(p => p.Value).DefaultIfEmpty(0).Max()));

    private IEnumerable<double> GridLines => Enumerable.Range(0, 5).Select(i => Max * i / 4);

    private string AriaLabel =>
        Title + ": " + string.Join("; ", Series.Select(s => $"{s.Name} {(s.Points.Count > 0 ? Format(s.Points[^1].Value) : "no data")}"));

    public static double NiceCeiling(double value)
    {
        if (value <= 0 || double.IsNaN(value))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private double X(DateTimeOffset time)
    {
        var span = (End - Start).TotalSeconds;
        var fraction = span <= 0 ? 1 : (time - Start).TotalSeconds / span;
        return PadLeft + Math.Clamp(fraction, 0, 1) * (Width - PadLeft);
    }

    private double Y(double value) => PadTop + (1 - Math.Clamp(value / Max, 0, 1)) * (Height - PadTop - PadBottom);

    /// <summary>The axes' SVG text elements (Razor reserves the text tag, so they are written here, encoded).</summary>
    private string AxisLabels
    {
        get
        {
            var text = new StringBuilder();
            void Label(double x, double y, string anchor, string value) =>
                text.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{F(x)}\" y=\"{F(y)}\" text-anchor=\"{anchor}\">{WebUtility.HtmlEncode(value)}</text>");

            foreach (var y in GridLines)
            {
                Label(PadLeft - 4, Y(y) + 3, "end", Format(y));
            }

            Label(PadLeft, Height - 2, "start", Start.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture));
            Label(Width, Height - 2, "end", End.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture));
            return text.ToString();
        }
    }

    private string Polyline(ChartSeries series)
    {
        var text = new StringBuilder();
        foreach (var point in series.Points)
        {
            text.Append(F(X(point.Time))).Append(',').Append(F(Y(point.Value))).Append(' ');
        }

        return text.ToString().TrimEnd();
    }

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
