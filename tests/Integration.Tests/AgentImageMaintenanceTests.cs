using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>export/import, history, prune, forced removal and disk usage, through the API and the docker CLI.</summary>
public sealed class AgentImageMaintenanceTests
{
    private static ByteArrayContent Tar(byte[] bytes)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return c;
    }

    private static TestEnvironment.Result Docker(AgentProcess agent, params string[] args) =>
        TestEnvironment.Run("docker", ["-H", $"unix://{agent.Socket}", .. args]);

    private static async Task<string> RunToEnd(AgentProcess agent, object body)
    {
        var id = await agent.CreateAsync(body);
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        return id;
    }

    private static async Task Load(AgentProcess agent, string tag, params (string, string)[] files) =>
        Assert.True((await agent.Http.PostAsync("images/load", Tar(ImageArchive.DockerSave(tag, ImageArchive.BusyboxLayer(files),
            new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } })))).IsSuccessStatusCode);

    [RequiresRootFact]
    public async Task ExportedContainerImportsAsAOneLayerImageThatRuns()
    {
        using var agent = new AgentProcess();
        await Load(agent, "base:1", ("etc/motd", "from the image\n"));
        var id = await RunToEnd(agent, new { Image = "base:1", Cmd = new[] { "sh", "-c", "mkdir /data; echo written > /data/file; rm /etc/motd" } });

        var export = Path.Combine(agent.Dir, "export.tar");
        var cli = Docker(agent, "export", "-o", export, id);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var names = new List<string>();
        await using (var f = File.OpenRead(export))
        {
            using var reader = new TarReader(f);
            while (reader.GetNextEntry() is { } e)
                names.Add(e.Name.TrimEnd('/'));
        }
        Assert.Contains("data/file", names);
        Assert.Contains("bin/busybox", names);
        Assert.DoesNotContain("etc/motd", names); // deleted in the container, so not in its filesystem
        Assert.DoesNotContain(names, n => n.Contains(".wh.", StringComparison.Ordinal));

        var import = await agent.Http.PostAsync("images/create?fromSrc=-&repo=flat&tag=1&message=exported", Tar(await File.ReadAllBytesAsync(export)));
        Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());
        var run = await RunToEnd(agent, new { Image = "flat:1", Cmd = new[] { "/bin/sh", "-c", "cat /data/file; ls /etc/motd 2>&1 || true" } });
        var text = string.Concat((await agent.LogsAsync(run)).Select(f => f.Text));
        Assert.StartsWith("written\n", text);
        Assert.Contains("No such file or directory", text);
        using var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync("images/flat:1/json"));
        Assert.Equal(1, inspect.RootElement.GetProperty("RootFS").GetProperty("Layers").GetArrayLength());

        // --change on import and commit: Dockerfile instructions for the new image's config.
        var cliImport = Docker(agent, "import", "-c", "CMD [\"cat\", \"/data/file\"]", "-c", "ENV WHO=cli", export, "flatcli:1");
        Assert.True(cliImport.ExitCode == 0, cliImport.Stderr);
        var fromCli = await RunToEnd(agent, new { Image = "flatcli:1" });
        Assert.Equal("written\n", string.Concat((await agent.LogsAsync(fromCli)).Select(f => f.Text)));
        var commit = Docker(agent, "commit", "-c", "ENV GREETING=changed", "-c", "CMD [\"sh\", \"-c\", \"echo $GREETING $WHO\"]", fromCli, "committed:cli");
        Assert.True(commit.ExitCode == 0, commit.Stderr);
        var fromCommit = await RunToEnd(agent, new { Image = "committed:cli" });
        Assert.Equal("changed cli\n", string.Concat((await agent.LogsAsync(fromCommit)).Select(f => f.Text)));
        var badChange = Docker(agent, "commit", "-c", "RUN rm -rf /", fromCli, "nope:1");
        Assert.NotEqual(0, badChange.ExitCode);
        Assert.Contains("RUN is not a valid change command", badChange.Stderr);

        var bad = await agent.Http.PostAsync("images/create?fromSrc=-&repo=bad", Tar(System.Text.Encoding.UTF8.GetBytes("not a tar at all, just text that is long enough to not be an empty tar block..........")));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("import", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.GetAsync("images/bad/json")).StatusCode);
    }

    [RequiresRootFact]
    public async Task RunningContainerExportsItsCurrentFiles()
    {
        using var agent = new AgentProcess();
        await Load(agent, "base:1");
        var id = await agent.CreateAsync(new { Image = "base:1", Cmd = new[] { "sh", "-c", "echo live > /tmp/now; sleep 60" } });
        await agent.PostAsync($"containers/{id}/start");
        for (var i = 0; i < 100 && !File.Exists(Path.Combine(agent.Dir, "data", "containers", id, "upper", "tmp", "now")); i++)
            await Task.Delay(50);

        var tar = await agent.Http.GetByteArrayAsync($"containers/{id}/export");

        using var reader = new TarReader(new MemoryStream(tar));
        var found = false;
        while (reader.GetNextEntry() is { } e)
            found |= e.Name == "tmp/now" && new StreamReader(e.DataStream!).ReadToEnd() == "live\n";
        Assert.True(found, "tmp/now missing from the export of a running container");
        Assert.Equal("running", (await agent.InspectAsync(id)).GetProperty("State").GetProperty("Status").GetString());
        Assert.Empty(Directory.GetDirectories(Path.Combine(agent.Dir, "run", "export")));
    }

    [RequiresRootFact]
    public async Task HistoryPruneAndForcedRemovalBehaveAsDocker()
    {
        using var agent = new AgentProcess();
        await Load(agent, "keep:1", ("keep", "k"));
        await Load(agent, "used:1", ("used", "u"));
        await Load(agent, "dangling:1", ("dangling", "older"));
        var user = await agent.CreateAsync(new { Image = "used:1", Cmd = new[] { "sleep", "60" } });
        await agent.PostAsync($"containers/{user}/start");

        var history = Docker(agent, "history", "--no-trunc", "keep:1");
        Assert.True(history.ExitCode == 0, history.Stderr);
        Assert.Contains("test", history.Stdout); // created_by of the test archive
        Assert.Contains("sha256:", history.Stdout);

        // rmi -f of an image a container uses only untags it; the container keeps running on it.
        var rmi = Docker(agent, "rmi", "-f", "used:1");
        Assert.True(rmi.ExitCode == 0, rmi.Stderr);
        Assert.Contains("Untagged: used:1", rmi.Stdout);
        Assert.Equal("running", (await agent.InspectAsync(user)).GetProperty("State").GetProperty("Status").GetString());
        // Loading another image under the same tag leaves the first one dangling.
        await Load(agent, "dangling:1", ("dangling", "newer"));

        var dangling = Docker(agent, "images", "-q", "--filter", "dangling=true");
        Assert.Equal(2, dangling.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // used (untagged) and dangling

        var prune = Docker(agent, "image", "prune", "-f");
        Assert.True(prune.ExitCode == 0, prune.Stderr);
        Assert.Contains("deleted: sha256:", prune.Stdout);
        Assert.Contains("Total reclaimed space:", prune.Stdout);
        Assert.DoesNotContain("Total reclaimed space: 0B", prune.Stdout);
        var remaining = Docker(agent, "images", "-a", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, remaining.Length); // keep:1, dangling:1 (newer) and the untagged image the running container uses

        var df = Docker(agent, "system", "df");
        Assert.True(df.ExitCode == 0, df.Stderr);
        Assert.Matches(@"Images\s+3\s+1", df.Stdout);
        Assert.Matches(@"Containers\s+1\s+1", df.Stdout);

        await agent.Http.DeleteAsync($"containers/{user}?force=1");
        var all = Docker(agent, "image", "prune", "-a", "-f");
        Assert.True(all.ExitCode == 0, all.Stderr);
        Assert.Contains("untagged: keep:1", all.Stdout);
        Assert.Contains("untagged: dangling:1", all.Stdout);
        Assert.Equal("[]", await agent.Http.GetStringAsync("images/json"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(agent.Dir, "data", "image", "layers")));
        Assert.Empty(Directory.GetFiles(Path.Combine(agent.Dir, "data", "image", "blobs", "sha256")));

        // The CLI shows our errors as it shows dockerd's, not as raw JSON.
        var missing = Docker(agent, "rmi", "nosuch:1");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Error response from daemon: No such image: nosuch:1", missing.Stderr);
        Assert.DoesNotContain("{", missing.Stderr);

        var badFilter = await agent.Http.PostAsync("images/prune?filters=" + Uri.EscapeDataString("{\"colour\":[\"red\"]}"), null);
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
        Assert.Contains("colour", await badFilter.Content.ReadAsStringAsync());
    }
}
