namespace ContainerConsole.Web.Components.Charts;

/// <summary>One point of a time series.</summary>
public readonly record struct ChartPoint(DateTimeOffset Time, double Value);

/// <summary>A named line of a <see cref="LineChart"/>; <see cref="Tone"/> picks its colour (0–5).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points, int Tone = 0);
