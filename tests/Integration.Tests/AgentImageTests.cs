using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>Images through the agent: docker-save archives in and out, containers from image configs.</summary>
public sealed class AgentImageTests
{
    private static ByteArrayContent Tar(byte[] bytes)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return c;
    }

    [RequiresRootFact]
    public async Task LoadedImageRunsWithItsConfigAndSurvivesSaveAndReload()
    {
        using var agent = new AgentProcess();
        var archive = ImageArchive.DockerSave("testbox:1", ImageArchive.BusyboxLayer(("etc/motd", "layer file\n")), new
        {
            Env = new[] { "PATH=/bin", "GREETING=hello" },
            Cmd = new[] { "sh", "-c", "echo $GREETING from $(pwd) as $(whoami); cat /etc/motd" },
            WorkingDir = "/tmp",
            User = "nobody",
        });
        var load = await agent.Http.PostAsync("images/load", Tar(archive));
        Assert.Contains("Loaded image: testbox:1\\n", await load.Content.ReadAsStringAsync()); // as docker prints it
        using (var list = JsonDocument.Parse(await agent.Http.GetStringAsync("images/json")))
            Assert.Contains(list.RootElement.EnumerateArray(), i => i.GetProperty("RepoTags")[0].GetString() == "testbox:1");

        var id = await agent.CreateAsync(new { Image = "testbox:1" });
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        Assert.Equal("hello from /tmp as nobody\nlayer file\n", string.Concat((await agent.LogsAsync(id)).Select(f => f.Text)));
        Assert.Equal(HttpStatusCode.Conflict, (await agent.Http.DeleteAsync("images/testbox:1")).StatusCode); // in use

        var saved = await agent.Http.GetByteArrayAsync("images/testbox:1/get");
        Assert.Equal(HttpStatusCode.NoContent, (await agent.Http.DeleteAsync($"containers/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agent.Http.DeleteAsync("images/testbox:1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.GetAsync("images/testbox:1/json")).StatusCode);
        Assert.Contains("testbox:1", await (await agent.Http.PostAsync("images/load", Tar(saved))).Content.ReadAsStringAsync());
        var again = await agent.CreateAsync(new { Image = "testbox:1", Cmd = new[] { "echo", "override" } });
        await agent.PostAsync($"containers/{again}/start");
        await agent.PostAsync($"containers/{again}/wait");
        Assert.Equal("override\n", string.Concat((await agent.LogsAsync(again)).Select(f => f.Text)));
    }

    [RequiresRootFact]
    public async Task DiffAndCommitTurnTheWritableLayerIntoAnImage()
    {
        using var agent = new AgentProcess();
        var archive = ImageArchive.DockerSave("base:1", ImageArchive.BusyboxLayer(("etc/motd", "layer file\n")), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } });
        await agent.Http.PostAsync("images/load", Tar(archive));
        var id = await agent.CreateAsync(new { Image = "base:1", Cmd = new[] { "sh", "-c", "echo new > /tmp/added; rm /etc/motd" } });
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");

        using (var changes = JsonDocument.Parse(await agent.Http.GetStringAsync($"containers/{id}/changes")))
        {
            var set = changes.RootElement.EnumerateArray().Select(e => $"{e.GetProperty("Kind").GetInt32()} {e.GetProperty("Path").GetString()}").ToHashSet();
            Assert.Contains("1 /tmp/added", set);
            Assert.Contains("2 /etc/motd", set);
            Assert.Contains("0 /etc", set);
        }
        var commit = await agent.PostAsync($"commit?container={id}&repo=committed&tag=1&comment=test");
        Assert.Equal(HttpStatusCode.Created, commit.StatusCode);
        var next = await agent.CreateAsync(new { Image = "committed:1", Cmd = new[] { "sh", "-c", "cat /tmp/added; ls /etc/motd 2>&1 || true" } });
        await agent.PostAsync($"containers/{next}/start");
        await agent.PostAsync($"containers/{next}/wait");
        var text = string.Concat((await agent.LogsAsync(next)).Select(f => f.Text));
        Assert.StartsWith("new\n", text);
        Assert.Contains("No such file or directory", text);
        using var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync("images/committed:1/json"));
        Assert.Equal(2, inspect.RootElement.GetProperty("RootFS").GetProperty("Layers").GetArrayLength());
        // The mount points the runtime made (/proc, /dev, /sys: the test image has none) are not part of the commit.
        var saved = await agent.Http.GetByteArrayAsync("images/committed:1/get");
        var layerNames = LayerEntryNames(saved, inspect.RootElement.GetProperty("RootFS").GetProperty("Layers")[1].GetString()!);
        Assert.Contains("tmp/added", layerNames);
        Assert.DoesNotContain(layerNames, n => n.TrimEnd('/') is "proc" or "dev" or "sys");
    }

    [RequiresRootFact]
    public async Task HostileArchivesAreRefusedAndLeaveNoImage()
    {
        using var agent = new AgentProcess();
        var evil = ImageArchive.DockerSave("evil:1", ImageArchive.BusyboxLayer(("../../escape", "x")), new { Cmd = new[] { "true" } });
        var r = await agent.Http.PostAsync("images/load", Tar(evil));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("escape", await r.Content.ReadAsStringAsync());
        Assert.Equal("[]", await agent.Http.GetStringAsync("images/json"));
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.PostAsJsonAsync("containers/create", new { Image = "nosuch:latest" })).StatusCode);
    }

    /// <summary>Entry names of the layer with diff id <paramref name="diffId"/> (an uncompressed blob) in a saved archive.</summary>
    private static List<string> LayerEntryNames(byte[] archive, string diffId)
    {
        using var outer = new System.Formats.Tar.TarReader(new MemoryStream(archive));
        while (outer.GetNextEntry() is { } e)
        {
            if (e.Name != "blobs/sha256/" + diffId[7..])
                continue;
            var names = new List<string>();
            using var inner = new System.Formats.Tar.TarReader(e.DataStream!);
            while (inner.GetNextEntry() is { } f)
                names.Add(f.Name);
            return names;
        }
        throw new InvalidOperationException($"layer {diffId} not in the archive");
    }
}
