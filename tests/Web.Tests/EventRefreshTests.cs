using Bunit;
using ContainerConsole.Web.Components.Pages;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>The volumes page (as the images and networks pages) loads again on the events it shows, not only on its 10 s poll.</summary>
public sealed class EventRefreshTests : BunitContext
{
    private readonly ChangingVolumes _volumes = new();
    private readonly FakeEventFeed _feed = new();

    public EventRefreshTests()
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Viewer));
        Services.AddSingleton<IHostsService>(FakeHosts.Named("h1"));
        Services.AddSingleton<IVolumeService>(_volumes);
        Services.AddSingleton<IEventFeed>(_feed);
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void A_volume_made_elsewhere_shows_when_its_event_comes()
    {
        _volumes.Names.Add("data");
        var page = Render<Volumes>();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody tr")));

        _volumes.Names.Add("cache");
        _feed.Push(new ConsoleEvent("h1", "volume", "create", "cache", "cache", new Dictionary<string, string>(), DateTimeOffset.UnixEpoch));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        Assert.Contains("cache", page.Find("tbody").TextContent);
    }

    [Fact]
    public void A_failed_feed_loads_once_as_events_may_have_been_lost()
    {
        _volumes.Names.Add("data");
        var page = Render<Volumes>();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody tr")));
        var loads = _volumes.Lists;

        _volumes.Names.Remove("data");
        _feed.Fail("fell behind");

        page.WaitForAssertion(() => Assert.Equal("No volumes.", page.Find("p.muted").TextContent));
        Assert.True(_volumes.Lists > loads);
    }

    /// <summary>Volumes the test changes between loads; counts the loads.</summary>
    private sealed class ChangingVolumes : IVolumeService
    {
        public List<string> Names { get; } = [];

        public int Lists { get; private set; }

        public Task<VolumeList> ListAsync(CancellationToken cancellationToken)
        {
            Lists++;
            return Task.FromResult(new VolumeList(
                [.. Names.Select(n => new VolumeSummary("h1", n, "local", null, null, new Dictionary<string, string>(), null, []))], []));
        }

        public Task CreateAsync(VolumeCreateRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RemoveAsync(string host, string name, bool force, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
