namespace ContainerConsole.Server.Metrics;

/// <summary>Metric history settings, bound from <c>ContainerConsole:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "ContainerConsole:Metrics";

    /// <summary>How often each running container is sampled (stored at 10 s resolution).</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the 10 s samples are rolled up into 1 min rows and old rows removed.</summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long 10 s samples are kept.</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long 1 min rows are kept.</summary>
    public TimeSpan RollupRetention { get; set; } = TimeSpan.FromDays(7);
}
