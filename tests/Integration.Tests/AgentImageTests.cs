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
}
