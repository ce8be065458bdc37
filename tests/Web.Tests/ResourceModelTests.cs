using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;

namespace ContainerConsole.Web.Tests;

/// <summary>The images, volumes and networks pages' logic: which containers use an image, the rows and their order, progress per layer, form checks.</summary>
public sealed class ResourceModelTests
{
    private static readonly ImageSummary Busybox = new("h1", "sha256:b0b", ["busybox:latest", "127.0.0.1:5000/team/bb:1.2"], 100, 2_000_000);
    private static readonly ImageSummary Dangling = new("h1", "sha256:dead", [], 50, 1_000);

    [Fact]
    public void Used_by_matches_image_ids_then_tags_on_the_same_host_only()
    {
        var byId = TestContainers.Make("web", host: "h1", image: "busybox:old-tag-moved") with { ImageId = "sha256:b0b" };
        var byTag = TestContainers.Make("job", host: "h1", image: "busybox"); // no image id: ":latest" implied
        var byRegistryTag = TestContainers.Make("app", host: "h1", image: "127.0.0.1:5000/team/bb:1.2");
        var otherHost = TestContainers.Make("far", host: "h2", image: "busybox:latest");
        var otherImage = TestContainers.Make("dbx", host: "h1", image: "postgres:16");

        var usage = ImageUsage.UsedBy([Busybox, Dangling], [byId, byTag, byRegistryTag, otherHost, otherImage]);

        Assert.Equal(["web", "job", "app"], usage[("h1", "sha256:b0b")].Select(c => c.Name));
        Assert.Empty(usage[("h1", "sha256:dead")]);
        Assert.Equal(byId.Id, usage[("h1", "sha256:b0b")][0].Id);
    }

    [Fact]
    public void Rows_are_one_per_tag_and_a_dangling_image_once()
    {
        var rows = ImageRow.From([Busybox, Dangling], []);

        Assert.Equal(
            [("busybox", "latest", "busybox:latest"), ("127.0.0.1:5000/team/bb", "1.2", "127.0.0.1:5000/team/bb:1.2"), ("<none>", "<none>", "sha256:dead")],
            rows.Select(r => (r.Repository, r.Tag, r.Reference)));
    }

    [Fact]
    public void Search_and_sort_of_image_rows()
    {
        var rows = ImageRow.From([Busybox, Dangling, new ImageSummary("h2", "sha256:a11", ["alpine:3"], 200, 5_000_000)],
            [TestContainers.Make("web", host: "h1") with { ImageId = "sha256:b0b" }]);

        Assert.Equal(["alpine", "127.0.0.1:5000/team/bb", "busybox", "<none>"], new ImageQuery().Apply(rows).Select(r => r.Repository)); // newest first
        Assert.Equal(["<none>", "127.0.0.1:5000/team/bb", "busybox", "alpine"],
            new ImageQuery(SortBy: ImageColumn.Size).SortedBy(ImageColumn.Size).Apply(rows).Select(r => r.Repository)); // smallest first
        Assert.Equal(["127.0.0.1:5000/team/bb", "busybox"], new ImageQuery(Search: "web").Apply(rows).Select(r => r.Repository)); // by container
        Assert.Equal(["alpine"], new ImageQuery(Host: "h2").Apply(rows).Select(r => r.Repository));
        Assert.Equal(["<none>"], new ImageQuery(Search: "dead").Apply(rows).Select(r => r.Repository)); // id prefix
    }

    [Fact]
    public void Progress_keeps_one_line_per_layer_and_sums_bytes_over_known_sizes()
    {
        var progress = new ImageProgressModel();
        progress.Apply(new ImageProgress(Status: "Pulling from team/app"));
        progress.Apply(new ImageProgress("aaa", "Pulling fs layer"));
        progress.Apply(new ImageProgress("bbb", "Pulling fs layer"));
        progress.Apply(new ImageProgress("aaa", "Downloading", 250, 1000));
        progress.Apply(new ImageProgress("bbb", "Downloading", 0, 3000));

        Assert.Equal(["aaa", "bbb"], progress.Layers.Select(l => l.Id));
        Assert.Equal(0.25, progress.Layers[0].Fraction);
        Assert.Equal(250.0 / 4000, progress.Fraction);
        Assert.Equal("Pulling from team/app", progress.Status);

        // Extracting restarts the counters with a smaller total; a finished layer counts whole.
        progress.Apply(new ImageProgress("aaa", "Extracting", 10, 500));
        progress.Apply(new ImageProgress("bbb", "Pull complete"));
        Assert.Equal((10.0 + 3000) / 4000, progress.Fraction);
        Assert.Equal(1, progress.Layers[1].Fraction);

        progress.Apply(new ImageProgress(Output: "Step 1/2 : FROM busybox\nStep 2/2 : RUN true"));
        progress.Apply(new ImageProgress(Error: "manifest unknown"));
        progress.Apply(new ImageProgress(ImageId: "sha256:new"));
        Assert.Equal(["Step 1/2 : FROM busybox", "Step 2/2 : RUN true"], progress.Output);
        Assert.Equal("manifest unknown", progress.Error);
        Assert.Equal(["sha256:new"], progress.ImageIds);
    }

    [Fact]
    public void No_fraction_before_any_layer_has_a_size()
    {
        var progress = new ImageProgressModel();
        progress.Apply(new ImageProgress("aaa", "Waiting"));
        Assert.Null(progress.Fraction);
        Assert.Null(progress.Layers[0].Fraction);
    }

    [Fact]
    public void Form_checks_name_the_problem()
    {
        var (values, error) = ResourceForms.KeyValues("A=1\n\n B=x=y\r", "Labels");
        Assert.Null(error);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "x=y" }, values);
        Assert.Equal("Labels, line 2: 'oops' is not KEY=value.", ResourceForms.KeyValues("A=1\noops", "Labels").Error);
        Assert.Null(ResourceForms.ImageReference("127.0.0.1:5000/team/app:1.2"));
        Assert.Contains("is not an image reference", ResourceForms.ImageReference("Busy Box"));
        Assert.Null(ResourceForms.Subnet("10.50.0.0/24", "10.50.0.1"));
        Assert.Null(ResourceForms.Subnet("fd00:50::/64", null));
        Assert.Equal("The gateway 10.60.0.1 is not inside 10.50.0.0/24.", ResourceForms.Subnet("10.50.0.0/24", "10.60.0.1"));
        Assert.Contains("not a subnet", ResourceForms.Subnet("10.50.0.0", null));
        Assert.Equal("A gateway needs a subnet.", ResourceForms.Subnet("", "10.0.0.1"));
        Assert.Null(ResourceForms.Name("", optional: true));
        Assert.Equal("A name is required.", ResourceForms.Name("", optional: false));
        Assert.Contains("not a valid name", ResourceForms.Name("-x", optional: false));
        Assert.Equal("2.5 MB", ResourceForms.Size(2_500_000));
    }
}
