using Bunit;
using ContainerConsole.Web.Components.Pages;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using ImagesPage = ContainerConsole.Web.Components.Pages.Images;

namespace ContainerConsole.Web.Tests;

/// <summary>The images, volumes and networks pages rendered by bUnit with fake services.</summary>
public sealed class ResourcePageTests : BunitContext
{
    private static readonly ImageSummary Busybox = new("h1", "sha256:b0b0b0b0b0b0b0b0", ["busybox:latest"], 1_700_000_000, 2_000_000);

    private readonly FakeImages _images = new(Busybox);
    private readonly FakeVolumes _volumes = new(new VolumeSummary("h1", "data", "local", "/var/lib/x/data", null,
        new Dictionary<string, string>(), 4096, [new ContainerLink("h1", "c1", "web")]));

    private readonly FakeNetworks _networks = new(
        new NetworkSummary("h1", "n-bridge", "bridge", "bridge", [new NetworkSubnet("172.17.0.0/16", "172.17.0.1")], false, new Dictionary<string, string>(), []),
        new NetworkSummary("h1", "n-app", "app", "bridge", [new NetworkSubnet("10.50.0.0/24", "10.50.0.1")], true, new Dictionary<string, string>(),
            [new NetworkEndpoint(new ContainerLink("h1", "c1", "web"), "10.50.0.2/24")]));

    private void UseServices(ConsoleRights rights)
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(rights));
        Services.AddSingleton<IHostsService>(FakeHosts.Named("h1"));
        Services.AddSingleton<IContainersService>(new FakeContainers(
            TestContainers.Make("web", host: "h1") with { ImageId = Busybox.Id }, TestContainers.Make("job", host: "h1")));
        Services.AddSingleton<IImageService>(_images);
        Services.AddSingleton<IVolumeService>(_volumes);
        Services.AddSingleton<INetworkService>(_networks);
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void A_viewer_sees_images_and_who_uses_them_but_no_change_controls()
    {
        UseServices(FakeAccess.Viewer);

        var page = Render<ImagesPage>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody tr")));
        Assert.Equal("busybox", page.Find("td.repository").TextContent);
        var usedBy = page.Find("td.used-by a");
        Assert.Equal(("web", "containers/h1/" + TestContainers.Make("web").Id), (usedBy.TextContent, usedBy.GetAttribute("href")));
        Assert.Empty(page.FindAll("details.panel"));
        Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Trim() is "Remove…" or "Prune…" or "Pull" or "Build" or "Load");
    }

    [Fact]
    public void Removing_shows_the_agents_reason_on_a_conflict()
    {
        UseServices(FakeAccess.Operator);
        _images.Refuse = "Could not remove busybox:latest on h1: conflict: unable to remove repository reference \"busybox:latest\" (must force) - container web is using its referenced image";

        var page = Render<ImagesPage>();
        page.WaitForElement("button[aria-label='Remove busybox:latest']").Click();
        page.Find("button[aria-label='Confirm removing busybox:latest']").Click();

        page.WaitForAssertion(() => Assert.Contains("must force", page.Find(".error-display").TextContent, StringComparison.Ordinal));
        Assert.Contains("Could not remove busybox:latest:", page.Find(".error-display").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operator_removes_with_force_and_prunes_seeing_the_space_reclaimed()
    {
        UseServices(FakeAccess.Operator);

        var page = Render<ImagesPage>();
        page.WaitForElement("button[aria-label='Remove busybox:latest']").Click();
        page.Find("td.row-actions input[type=checkbox]").Change(true);
        page.Find("button[aria-label='Confirm removing busybox:latest']").Click();
        page.FindAll("button").Single(b => b.TextContent == "Prune…").Click();
        page.FindAll("button").Single(b => b.TextContent.StartsWith("Prune h1", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.Equal(["remove h1 busybox:latest force=True", "prune h1 all=False"], _images.Calls));
        Assert.Contains("2 image(s) deleted, 3.5 MB reclaimed", page.Find("p.done").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pull_shows_a_bar_per_layer_and_an_invalid_reference_is_named_before_sending()
    {
        UseServices(FakeAccess.Operator);
        _images.PullMessages.AddRange([
            new ImageProgress("aaa", "Downloading", 500, 1000),
            new ImageProgress("bbb", "Pull complete"),
            new ImageProgress(Status: "Status: Downloaded newer image for app:1"),
        ]);

        var page = Render<ImagesPage>();
        var reference = page.WaitForElement("#pull-reference");
        reference.Input("Not A Reference");
        page.Find("form[aria-label='Pull an image']").Submit();
        Assert.Contains("is not an image reference", page.Find("#pull-error").TextContent, StringComparison.Ordinal);
        Assert.Empty(_images.Calls);

        page.Find("#pull-reference").Input("127.0.0.1:5000/app:1");
        page.Find("form[aria-label='Pull an image']").Submit();

        // The last message is rendered once the pull has ended.
        page.WaitForAssertion(() => Assert.Contains("Downloaded newer image", page.Find(".image-progress .status").TextContent, StringComparison.Ordinal));
        Assert.Equal(2, page.FindAll("li.layer").Count);
        Assert.Equal(["pull h1 127.0.0.1:5000/app:1"], _images.Calls);
        Assert.Equal("0.5", page.FindAll("li.layer progress")[0].GetAttribute("value"));
        Assert.Contains("500 B / 1 kB", page.FindAll("li.layer")[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("1", page.FindAll("li.layer progress")[1].GetAttribute("value"));
    }

    [Fact]
    public void A_build_sends_tags_and_build_args_and_a_bad_arg_line_is_named()
    {
        UseServices(FakeAccess.Operator);

        var page = Render<ImagesPage>();
        page.WaitForElement("#build-dockerfile").Input("FROM busybox\nRUN true");
        page.Find("#build-tags").Input("app:1 app:latest");
        page.Find("#build-args").Input("VERSION=1\nbroken");
        page.Find("form[aria-label='Build an image']").Submit();
        Assert.Contains("Build args, line 2", page.Find("form[aria-label='Build an image'] .field-error").TextContent, StringComparison.Ordinal);
        Assert.Empty(_images.Calls);

        page.Find("#build-args").Input("VERSION=1");
        page.Find("form[aria-label='Build an image']").Submit();
        page.WaitForAssertion(() => Assert.Equal(["build h1 app:1,app:latest VERSION=1"], _images.Calls));
    }

    [Fact]
    public void Volumes_list_users_and_an_operator_creates_and_removes()
    {
        UseServices(FakeAccess.Operator);

        var page = Render<Volumes>();
        page.WaitForAssertion(() => Assert.Equal("web", page.Find("td.used-by a").TextContent));
        Assert.Equal("4.1 kB", page.FindAll("tbody td")[4].TextContent);

        page.Find("#volume-name").Input("cache");
        page.Find("#volume-labels").Input("team=web");
        page.Find("form[aria-label='Create a volume']").Submit();
        page.Find("button[aria-label='Remove volume data']").Click();
        page.Find("button[aria-label='Confirm removing volume data']").Click();

        page.WaitForAssertion(() => Assert.Equal(["create h1 cache local team=web", "remove h1 data force=False"], _volumes.Calls));
    }

    [Fact]
    public void A_viewer_sees_volumes_and_networks_without_change_controls()
    {
        UseServices(FakeAccess.Viewer);

        var volumes = Render<Volumes>();
        volumes.WaitForAssertion(() => Assert.Single(volumes.FindAll("tbody tr")));
        Assert.Empty(volumes.FindAll("form"));
        Assert.Empty(volumes.FindAll("td.row-actions"));

        var networks = Render<Networks>();
        networks.WaitForAssertion(() => Assert.Equal(2, networks.FindAll("tbody tr").Count));
        Assert.Empty(networks.FindAll("form"));
        Assert.Empty(networks.FindAll("button"));
    }

    [Fact]
    public void Networks_check_the_gateway_then_create_connect_and_disconnect()
    {
        UseServices(FakeAccess.Operator);

        var page = Render<Networks>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        Assert.Empty(page.FindAll("button[aria-label='Remove network bridge']")); // Docker's own

        page.Find("#network-name").Input("backend");
        page.Find("#network-subnet").Input("10.60.0.0/24");
        page.Find("#network-gateway").Input("10.70.0.1");
        page.Find("form[aria-label='Create a network']").Submit();
        Assert.Equal("The gateway 10.70.0.1 is not inside 10.60.0.0/24.", page.Find("form[aria-label='Create a network'] .field-error").TextContent);
        Assert.Empty(_networks.Calls);

        page.Find("#network-gateway").Input("10.60.0.1");
        page.Find("form[aria-label='Create a network']").Submit();
        page.WaitForAssertion(() => Assert.Equal(["create h1 backend 10.60.0.0/24 10.60.0.1 internal=False"], _networks.Calls));

        page.Find("#connect-n-app").Change("job");
        page.Find("button[aria-label='Connect the chosen container to app']").Click();
        page.Find("button[aria-label='Disconnect web from app']").Click();
        page.WaitForAssertion(() => Assert.Equal(["connect h1 n-app job", "disconnect h1 n-app web"], _networks.Calls.Skip(1)));
    }

    [Fact]
    public void The_image_detail_shows_history_and_hides_actions_from_a_viewer()
    {
        UseServices(FakeAccess.Viewer);

        var page = Render<ImageDetail>(p => p.Add(x => x.Host, "h1").Add(x => x.Id, Busybox.Id));

        page.WaitForAssertion(() => Assert.Contains("COPY busybox /bin", page.Find("table.history").TextContent, StringComparison.Ordinal));
        Assert.Equal("busybox:latest", page.Find("h1").TextContent);
        Assert.Empty(page.FindAll("section[aria-label='Image actions']"));
    }

    [Fact]
    public void An_operator_tags_and_pushes_from_the_image_page()
    {
        UseServices(FakeAccess.Operator);

        var page = Render<ImageDetail>(p => p.Add(x => x.Host, "h1").Add(x => x.Id, Busybox.Id));
        page.WaitForElement("#tag-repository").Input("127.0.0.1:5000/team/bb");
        page.Find("#tag-tag").Input("bad tag");
        page.Find("form[aria-label='Tag the image']").Submit();
        Assert.Contains("is not a tag", page.Find("form[aria-label='Tag the image'] .field-error").TextContent, StringComparison.Ordinal);
        Assert.Empty(_images.Calls);

        page.Find("#tag-tag").Input("1.0");
        page.Find("form[aria-label='Tag the image']").Submit();
        page.WaitForAssertion(() => Assert.Equal([$"tag h1 {Busybox.Id} 127.0.0.1:5000/team/bb:1.0"], _images.Calls));

        page.FindAll("button").Single(b => b.TextContent == "Push").Click();
        page.WaitForAssertion(() => Assert.Equal($"push h1 busybox:latest", _images.Calls[^1]));
    }
}
