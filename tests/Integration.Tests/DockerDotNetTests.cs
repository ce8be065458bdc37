using Docker.DotNet;
using Docker.DotNet.Models;

namespace ContainerConsole.Integration.Tests;

/// <summary>The agent through Docker.DotNet, unchanged: what a .NET program managing Docker does.</summary>
public sealed class DockerDotNetTests
{
    private static DockerClient Client(AgentProcess agent) =>
        new DockerClientConfiguration(new Uri("unix://" + agent.Socket)).CreateClient();

    private static async Task LoadAsync(DockerClient client, string repoTag)
    {
        var archive = ImageArchive.DockerSave(repoTag, ImageArchive.BusyboxLayer(("etc/motd", "hello from the image\n")),
            new { Env = new[] { "PATH=/bin", "FROM_IMAGE=1" }, Cmd = new[] { "sh" } });
        var messages = new List<JSONMessage>();
        await client.Images.LoadImageAsync(new ImageLoadParameters(), new MemoryStream(archive), new SyncProgress<JSONMessage>(messages.Add));
        Assert.DoesNotContain(messages, m => m.Error is not null);
    }

    [RequiresRootFact]
    public async Task SystemAndImageCalls()
    {
        using var agent = new AgentProcess();
        using var client = Client(agent);

        await client.System.PingAsync();
        var version = await client.System.GetVersionAsync();
        Assert.Equal("linux", version.Os);
        Assert.Equal(SystemApiVersion, version.APIVersion);
        var info = await client.System.GetSystemInfoAsync();
        Assert.Equal(Environment.ProcessorCount, (int)info.NCPU);
        Assert.Equal(0, (int)info.Images);

        await LoadAsync(client, "dotnetbox:1");
        var listed = Assert.Single(await client.Images.ListImagesAsync(new ImagesListParameters { All = true }));
        Assert.Equal(["dotnetbox:1"], listed.RepoTags);
        Assert.StartsWith("sha256:", listed.ID);
        Assert.True(listed.Size > 0);

        var image = await client.Images.InspectImageAsync("dotnetbox:1");
        Assert.Equal(listed.ID, image.ID);
        Assert.Equal(["sh"], image.Config.Cmd);
        Assert.Contains("FROM_IMAGE=1", image.Config.Env);
        Assert.Equal("amd64", image.Architecture);
        Assert.Single(image.RootFS.Layers);

        await client.Images.TagImageAsync("dotnetbox:1", new ImageTagParameters { RepositoryName = "example.org/team/box", Tag = "v2" });
        var tagged = await client.Images.ListImagesAsync(new ImagesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["reference"] = new Dictionary<string, bool> { ["example.org/team/box"] = true } },
        });
        Assert.Equal(["example.org/team/box:v2", "dotnetbox:1"], Assert.Single(tagged).RepoTags.OrderByDescending(t => t.Length));

        var untagged = await client.Images.DeleteImageAsync("example.org/team/box:v2", new ImageDeleteParameters());
        Assert.Equal("example.org/team/box:v2", Assert.Single(untagged)["Untagged"]);
        var deleted = await client.Images.DeleteImageAsync("dotnetbox:1", new ImageDeleteParameters());
        Assert.Contains(deleted, d => d.TryGetValue("Deleted", out var id) && id == listed.ID);
        Assert.Empty(await client.Images.ListImagesAsync(new ImagesListParameters { All = true }));
        var missing = await Assert.ThrowsAsync<DockerImageNotFoundException>(() => client.Images.InspectImageAsync("dotnetbox:1"));
        Assert.Contains("dotnetbox:1", missing.Message);
    }

    [RequiresRootFact]
    public async Task ContainerLifecycleLogsExecAndStats()
    {
        using var agent = new AgentProcess();
        using var client = Client(agent);
        await LoadAsync(client, "dotnetbox:1");

        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = "job",
            Image = "dotnetbox:1",
            Env = ["GREETING=hi"],
            Cmd = ["sh", "-c", "echo $GREETING from $(pwd) $FROM_IMAGE; echo oops >&2; cat /etc/motd; exit 7"],
            WorkingDir = "/tmp",
            Labels = new Dictionary<string, string> { ["app"] = "job" },
            HostConfig = new HostConfig { Memory = 64 * 1024 * 1024, PidsLimit = 50 },
        });
        Assert.Matches("^[0-9a-f]{64}$", created.ID);
        Assert.Empty(created.Warnings);
        Assert.True(await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters()));
        var waited = await client.Containers.WaitContainerAsync(created.ID);
        Assert.Equal(7, waited.StatusCode);

        using (var logs = await client.Containers.GetContainerLogsAsync(created.ID, tty: false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }))
        {
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(CancellationToken.None);
            Assert.Equal("hi from /tmp 1\nhello from the image\n", stdout);
            Assert.Equal("oops\n", stderr);
        }

        var inspect = await client.Containers.InspectContainerAsync(created.ID);
        Assert.Equal("/job", inspect.Name);
        Assert.Equal("exited", inspect.State.Status);
        Assert.Equal(7, inspect.State.ExitCode);
        Assert.False(inspect.State.Running);
        Assert.True(DateTime.Parse(inspect.State.FinishedAt, System.Globalization.CultureInfo.InvariantCulture) > DateTime.Parse(inspect.State.StartedAt, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(64 * 1024 * 1024, inspect.HostConfig.Memory);
        Assert.Equal(50, inspect.HostConfig.PidsLimit);
        Assert.Equal("/tmp", inspect.Config.WorkingDir);
        Assert.Equal("job", inspect.Config.Labels["app"]);
        Assert.Equal("dotnetbox:1", inspect.Config.Image);
        Assert.Equal("sh", inspect.Path);

        var svc = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = "dotnetbox:1",
            Cmd = ["sleep", "600"],
            Labels = new Dictionary<string, string> { ["app"] = "svc" },
        });
        await client.Containers.StartContainerAsync(svc.ID, new ContainerStartParameters());

        var running = await client.Containers.ListContainersAsync(new ContainersListParameters());
        Assert.Equal([svc.ID], running.Select(c => c.ID));
        var byLabel = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["app=job"] = true } },
        });
        var job = Assert.Single(byLabel);
        Assert.Equal(created.ID, job.ID);
        Assert.Equal(["/job"], job.Names);
        Assert.Equal("exited", job.State);
        Assert.StartsWith("Exited (7) ", job.Status);
        Assert.Equal("dotnetbox:1", job.Image);
        var exited = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["status"] = new Dictionary<string, bool> { ["exited"] = true } },
        });
        Assert.Equal([created.ID], exited.Select(c => c.ID));

        var exec = await client.Exec.ExecCreateContainerAsync(svc.ID, new ContainerExecCreateParameters
        {
            Cmd = ["sh", "-c", "echo in exec $X; echo err >&2; exit 3"],
            Env = ["X=42"],
            AttachStdout = true,
            AttachStderr = true,
        });
        using (var stream = await client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false))
        {
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(CancellationToken.None);
            Assert.Equal("in exec 42\n", stdout);
            Assert.Equal("err\n", stderr);
        }
        var execInspect = await client.Exec.InspectContainerExecAsync(exec.ID);
        Assert.Equal(3, execInspect.ExitCode);
        Assert.False(execInspect.Running);
        Assert.Equal(svc.ID, execInspect.ContainerID);

        var stats = new List<ContainerStatsResponse>();
        await client.Containers.GetContainerStatsAsync(svc.ID, new ContainerStatsParameters { Stream = false, OneShot = true },
            new SyncProgress<ContainerStatsResponse>(stats.Add));
        var one = Assert.Single(stats);
        Assert.True(one.MemoryStats.Usage > 0);
        Assert.True(one.PidsStats.Current >= 1);
        Assert.True(one.CPUStats.CPUUsage.TotalUsage > 0);

        await client.Containers.RemoveContainerAsync(svc.ID, new ContainerRemoveParameters { Force = true });
        await client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters());
        Assert.Empty(await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }));
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => client.Containers.InspectContainerAsync(created.ID));
    }

    private const string SystemApiVersion = ContainerConsole.Agent.Api.SystemApi.ApiVersion;

    /// <summary>Reports on the calling thread: Progress&lt;T&gt; posts to the thread pool and may run after the call returns.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
