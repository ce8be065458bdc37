using System.Globalization;
using System.Text;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>A point of a graphed series: a time and a value.</summary>
public readonly record struct ChartPoint(DateTimeOffset Time, double Value);

/// <summary>
/// Maps a time range and a value range onto an SVG drawing area (y grows downwards): the value axis starts at 0 and
/// ends at a "nice" round maximum above the data (and above any limit line), so the graph does not jump with every
/// sample and its grid labels read well.
/// </summary>
public sealed class ChartScale
{
    public ChartScale(DateTimeOffset from, DateTimeOffset to, double maxValue, double width, double height)
    {
        From = from;
        To = to > from ? to : from.AddSeconds(1);
        Max = NiceCeiling(maxValue);
        Width = width;
        Height = height;
    }

    public DateTimeOffset From { get; }

    public DateTimeOffset To { get; }

    /// <summary>The top of the value axis.</summary>
    public double Max { get; }

    public double Width { get; }

    public double Height { get; }

    public double X(DateTimeOffset time) =>
        Math.Clamp((time - From).TotalMilliseconds / (To - From).TotalMilliseconds, 0, 1) * Width;

    public double Y(double value) => Height - (Math.Clamp(value, 0, Max) / Max * Height);

    /// <summary>The SVG <c>points</c> of a polyline through <paramref name="points"/>, rounded to 0.1 px.</summary>
    public string Polyline(IEnumerable<ChartPoint> points)
    {
        var text = new StringBuilder();
        foreach (var point in points)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(X(point.Time).ToString("0.#", CultureInfo.InvariantCulture))
                .Append(',')
                .Append(Y(point.Value).ToString("0.#", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>
    /// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least <paramref name="value"/>; 1 when there is
    /// nothing above 0 to show (an empty graph still has an axis).
    /// </summary>
    public static double NiceCeiling(double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            // A little slack against 0.30000000000000004 landing on the next step.
            if (step * power >= value * (1 - 1e-9))
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    /// <summary>
    /// Per-second rates of a cumulative counter between consecutive samples. A counter that went down (the container
    /// restarted, its counters began again) gives no rate for that step rather than a huge negative one.
    /// </summary>
    public static List<ChartPoint> Rates(IReadOnlyList<ResourceSample> samples, Func<ResourceSample, long> counter)
    {
        var rates = new List<ChartPoint>(Math.Max(0, samples.Count - 1));
        for (var i = 1; i < samples.Count; i++)
        {
            var seconds = (samples[i].Time - samples[i - 1].Time).TotalSeconds;
            var delta = counter(samples[i]) - counter(samples[i - 1]);
            if (seconds > 0 && delta >= 0)
            {
                rates.Add(new ChartPoint(samples[i].Time, delta / seconds));
            }
        }

        return rates;
    }

    /// <summary>Bytes as people read them: 1.5 MiB, 512 B.</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return bytes.ToString("0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
