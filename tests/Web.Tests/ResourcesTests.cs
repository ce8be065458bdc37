using Bunit;
using ContainerConsole.Web.Components.Charts;
using ContainerConsole.Web.Components.Resources;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>The resources tab: graph scaling, counter rates, the live graphs, history ranges and live limits.</summary>
public sealed class ResourcesTests : BunitContext
{
    private readonly FakeResources _resources = new();

    private IRenderedComponent<ResourcesView> RenderView(bool canOperate = true)
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerResources>(_resources);
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Render<ResourcesView>(p => p.Add(v => v.Host, "h1").Add(v => v.ContainerId, "abc").Add(v => v.CanOperate, canOperate)
            .Add(v => v.MemoryLimitBytes, 64L << 20).Add(v => v.Cpus, 0.5));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-3, 1)]
    [InlineData(0.3, 0.5)]
    [InlineData(1, 1)]
    [InlineData(1.01, 2)]
    [InlineData(2.2, 2.5)]
    [InlineData(3, 5)]
    [InlineData(7, 10)]
    [InlineData(99, 100)]
    [InlineData(150, 200)]
    [InlineData(67108864, 100000000)]
    public void The_axis_ends_at_a_round_value_above_the_data(double max, double nice) =>
        Assert.Equal(nice, ChartScale.NiceCeiling(max), 9);

    [Fact]
    public void Values_and_times_map_onto_the_drawing_area_with_y_downwards()
    {
        var from = DateTimeOffset.UnixEpoch;
        var scale = new ChartScale(from, from.AddSeconds(100), 80, 600, 150);

        Assert.Equal(100, scale.Max);
        Assert.Equal(0, scale.X(from));
        Assert.Equal(300, scale.X(from.AddSeconds(50)));
        Assert.Equal(600, scale.X(from.AddSeconds(500))); // clamped to the area
        Assert.Equal(150, scale.Y(0));
        Assert.Equal(0, scale.Y(100));
        Assert.Equal(75, scale.Y(50));
        Assert.Equal(150, scale.Y(-5));
        Assert.Equal("0,150 300,75 600,30", scale.Polyline([new(from, 0), new(from.AddSeconds(50), 50), new(from.AddSeconds(100), 80)]));
    }

    [Fact]
    public void Counter_rates_are_per_second_and_a_reset_counter_gives_no_rate()
    {
        List<ResourceSample> samples =
        [
            FakeResources.Sample(0, rx: 1000),
            FakeResources.Sample(2, rx: 3000),
            FakeResources.Sample(3, rx: 3000),
            FakeResources.Sample(4, rx: 10), // restarted
            FakeResources.Sample(5, rx: 1034),
        ];

        var rates = ChartScale.Rates(samples, s => s.NetworkRxBytes);

        Assert.Equal([1000.0, 0.0, 1024.0], rates.Select(r => r.Value));
        Assert.Equal([samples[1].Time, samples[2].Time, samples[4].Time], rates.Select(r => r.Time));
        Assert.Equal("1 KiB", ChartScale.Bytes(1024));
        Assert.Equal("64 MiB", ChartScale.Bytes(64 << 20));
        Assert.Equal("512 B", ChartScale.Bytes(512));
    }

    [Fact]
    public void Live_samples_move_the_graphs_and_the_memory_limit_line_follows_the_container()
    {
        var view = RenderView();
        _resources.Push(FakeResources.Sample(0, cpu: 5, memory: 10 << 20));
        _resources.Push(FakeResources.Sample(1, cpu: 50, memory: 20 << 20));
        view.WaitForAssertion(() => Assert.Contains("2 samples", view.Find(".sample-count").TextContent));

        Assert.Equal("20 MiB", view.Find(".metric-memory .legend.a .current").TextContent);
        Assert.Equal("50 %", view.Find(".metric-cpu .legend.a .current").TextContent);
        Assert.Equal("64 MiB", view.Find(".metric-memory .legend.limit strong").TextContent);
        var before = view.Find(".metric-memory polyline").GetAttribute("points");

        _resources.Push(FakeResources.Sample(2, memory: 40 << 20, limit: 128 << 20));
        view.WaitForAssertion(() => Assert.Equal("40 MiB", view.Find(".metric-memory .legend.a .current").TextContent));
        Assert.NotEqual(before, view.Find(".metric-memory polyline").GetAttribute("points"));
        Assert.Equal("128 MiB", view.Find(".metric-memory .legend.limit strong").TextContent);
        Assert.Contains("Memory: used 40 MiB, limit 128 MiB", view.Find(".metric-memory svg").GetAttribute("aria-label"));
    }

    [Fact]
    public void A_history_range_asks_for_that_range_and_draws_it()
    {
        _resources.History.AddRange([FakeResources.Sample(0, cpu: 1), FakeResources.Sample(60, cpu: 2), FakeResources.Sample(120, cpu: 3)]);
        var view = RenderView();

        view.FindAll(".ranges button").Single(b => b.TextContent == "24 h").Click();

        view.WaitForAssertion(() => Assert.Single(_resources.HistoryCalls));
        var (from, to) = _resources.HistoryCalls[0];
        Assert.Equal(TimeSpan.FromHours(24), to - from);
        view.WaitForAssertion(() => Assert.Contains("3 samples", view.Find(".sample-count").TextContent));
        Assert.Equal("true", view.FindAll(".ranges button").Single(b => b.TextContent == "24 h").GetAttribute("aria-checked"));
    }

    [Fact]
    public void Limits_are_changed_live_by_an_operator_and_refusals_show_on_their_fields()
    {
        var view = RenderView();
        Assert.Equal("64m", view.Find("#limit-memory").GetAttribute("value"));

        view.Find("#limit-memory").Change("128m");
        view.Find("#limit-pids").Change("50");
        view.Find("form.limits").Submit();
        Assert.Equal(("h1", "abc", new LimitsChange("128m", 0.5, 50)), Assert.Single(_resources.Updates));
        Assert.Contains("Limits changed", view.Find(".applied").TextContent);

        view.Find("#limit-cpus").Change("many");
        view.Find("form.limits").Submit();
        Assert.Contains("'many' is not a number", view.Find("#limit-cpus-error").TextContent);
        Assert.Single(_resources.Updates);

        view.Find("#limit-cpus").Change("0.5");
        _resources.Invalid = new() { ["memory"] = ["Memory must be at least 6 MiB."] };
        view.Find("form.limits").Submit();
        Assert.Equal("Memory must be at least 6 MiB.", view.Find("#limit-memory-error").TextContent);
    }

    [Fact]
    public void A_viewer_gets_the_graphs_without_the_limits_form()
    {
        var view = RenderView(canOperate: false);
        Assert.Equal(4, view.FindAll("figure.chart").Count);
        Assert.Empty(view.FindAll("form.limits"));
    }
}
