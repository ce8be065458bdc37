namespace ContainerConsole.Bench;

/// <summary>Summary figures of repeated timings.</summary>
public sealed record Sample(IReadOnlyList<double> Values)
{
    public double Median => Percentile(50);
    public double P95 => Percentile(95);

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p)
    {
        var sorted = Values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static async Task<Sample> TimeAsync(int warmup, int runs, Func<Task> action)
    {
        for (var i = 0; i < warmup; i++)
            await action();
        var values = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await action();
            values.Add(sw.Elapsed.TotalMilliseconds);
        }
        return new Sample(values);
    }
}
