using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;

namespace ContainerConsole.Web.Tests;

/// <summary>The page logic without rendering: filters and sorting, the ring buffer, the log buffer's filter, ANSI parsing.</summary>
public sealed class ModelTests
{
    private static readonly ContainerSummary[] Sample =
    [
        TestContainers.Make("web", host: "a", state: "running", image: "nginx:1", created: 300, labels: new Dictionary<string, string> { ["tier"] = "front" }),
        TestContainers.Make("db", host: "b", state: "exited", image: "postgres:16", created: 100, labels: new Dictionary<string, string> { ["tier"] = "back" }),
        TestContainers.Make("cache", host: "a", state: "running", image: "redis:7", created: 200),
    ];

    private static string[] NamesOf(IEnumerable<ContainerSummary> list) => list.Select(Names.Display).ToArray();

    [Fact]
    public void Filters_combine_and_search_matches_name_image_or_id_prefix()
    {
        Assert.Equal(["cache", "web"], NamesOf(new ContainerQuery(State: "running").Apply(Sample)));
        Assert.Equal(["db"], NamesOf(new ContainerQuery(Host: "b").Apply(Sample)));
        Assert.Equal(["db", "web"], NamesOf(new ContainerQuery(Label: "tier").Apply(Sample)));
        Assert.Equal(["web"], NamesOf(new ContainerQuery(Label: "tier=front").Apply(Sample)));
        Assert.Empty(new ContainerQuery(Label: "tier=front", Host: "b").Apply(Sample));
        Assert.Equal(["db"], NamesOf(new ContainerQuery(Image: "postgres").Apply(Sample)));
        Assert.Equal(["cache"], NamesOf(new ContainerQuery(Search: "REDIS").Apply(Sample)));
        Assert.Equal(["web"], NamesOf(new ContainerQuery(Search: "web0123").Apply(Sample)));
    }

    [Fact]
    public void Sorting_by_a_column_flips_on_the_second_click_and_created_starts_newest_first()
    {
        var byName = new ContainerQuery();
        Assert.Equal(["cache", "db", "web"], NamesOf(byName.Apply(Sample)));
        Assert.Equal(["web", "db", "cache"], NamesOf(byName.SortedBy(ContainerColumn.Name).Apply(Sample)));
        var byCreated = byName.SortedBy(ContainerColumn.Created);
        Assert.Equal(["web", "cache", "db"], NamesOf(byCreated.Apply(Sample)));
        Assert.Equal(["db", "cache", "web"], NamesOf(byCreated.SortedBy(ContainerColumn.Created).Apply(Sample)));
        Assert.Equal(["cache", "web", "db"], NamesOf(byName.SortedBy(ContainerColumn.Host).Apply(Sample)));
    }

    [Fact]
    public void A_feed_update_replaces_only_the_hosts_it_names()
    {
        var model = new ContainerListModel();
        model.Apply(new ContainerFeedUpdate(["a", "b"], Sample, [], IsSnapshot: true));
        model.Apply(new ContainerFeedUpdate(["a"], [TestContainers.Make("api", host: "a")], [], IsSnapshot: false));

        Assert.Equal(["api", "db"], NamesOf(model.All.OrderBy(Names.Display)));

        model.Apply(new ContainerFeedUpdate(["b"], [], [new HostError("b", "connection refused")], IsSnapshot: false));
        Assert.Equal(["api"], NamesOf(model.All));
        Assert.Equal("connection refused", Assert.Single(model.Unreachable).Error);
    }

    [Fact]
    public void The_ring_buffer_keeps_the_newest_items_in_order()
    {
        var ring = new RingBuffer<int>(3);
        for (var i = 1; i <= 5; i++)
        {
            ring.Add(i);
        }

        Assert.Equal(3, ring.Count);
        Assert.Equal([3, 4, 5], ring.Slice(0, 10).ToArray());
        Assert.Equal(2, ring.Dropped);
        Assert.Equal(5, ring.Added);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring[3]);
        ring.Clear();
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void The_log_buffer_filter_follows_new_lines_and_forgets_dropped_ones()
    {
        var buffer = new LogBuffer(4);
        buffer.Add(new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, "alpha"));
        buffer.Add(new LogLine(LogSource.Stderr, DateTimeOffset.UnixEpoch, "\u001b[31mERROR\u001b[0m beta"));
        buffer.SetFilter(new LogFilter(Search: "error"));
        Assert.Equal(1, buffer.Count);

        buffer.Add(new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, "error gamma"));
        Assert.Equal(["\u001b[31mERROR\u001b[0m beta", "error gamma"], buffer.Slice(0, 10).Select(r => r.Text).ToArray());

        // Three more lines push "beta" out of the ring of 4.
        buffer.Add(new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, "d"));
        buffer.Add(new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, "e"));
        buffer.Add(new LogLine(LogSource.Stdout, DateTimeOffset.UnixEpoch, "f"));
        Assert.Equal(["error gamma"], buffer.Slice(0, 10).Select(r => r.Text).ToArray());

        buffer.SetFilter(new LogFilter(Source: LogSource.Stdout));
        Assert.Equal(["error gamma", "d", "e", "f"], buffer.Slice(0, 10).Select(r => r.Text).ToArray());
        buffer.SetFilter(new LogFilter(Source: LogSource.Stderr));
        Assert.Equal(0, buffer.Count);
    }

    [Fact]
    public void Ansi_sgr_codes_become_classes_and_styles_and_other_escapes_vanish()
    {
        var spans = AnsiText.Parse("plain \u001b[1;31mbold red\u001b[0m \u001b[38;5;196mx\u001b[48;2;1;2;3my\u001b[m\u001b[2Jz\u001b]0;title\u0007!");

        Assert.Equal(["plain ", "bold red", " ", "x", "y", "z!"], spans.Select(s => s.Text).ToArray());
        Assert.Equal("ansi-bold ansi-fg-1", spans[1].CssClass);
        Assert.Null(spans[2].CssClass);
        Assert.Equal("color:#ff0000", spans[3].CssStyle);
        Assert.Equal("color:#ff0000;background-color:#010203", spans[4].CssStyle);
        Assert.Null(spans[5].CssClass);
        Assert.Null(spans[5].CssStyle);
    }

    [Fact]
    public void Ansi_bright_inverse_and_malformed_codes()
    {
        var spans = AnsiText.Parse("\u001b[92;7ma\u001b[27;44mb\u001b[38;5mc\u001b[");

        Assert.Equal("ansi-bg-10 ansi-fg-inverse", spans[0].CssClass);
        Assert.Equal("ansi-fg-10 ansi-bg-4", spans[1].CssClass);
        Assert.Equal("c", spans[2].Text);
        Assert.Equal("abc", AnsiText.Strip("\u001b[92;7ma\u001b[27;44mb\u001b[38;5mc\u001b["));
        Assert.Equal("<b>not markup</b>", Assert.Single(AnsiText.Parse("<b>not markup</b>")).Text);
    }
}
