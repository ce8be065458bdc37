using System.Net.Http.Headers;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>Images move between Debian's dockerd and ccagent both ways, keep their ids, and run the same.</summary>
public sealed class DockerdInteropTests
{
    private static ByteArrayContent Tar(byte[] bytes)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return c;
    }

    private static void Ok(TestEnvironment.Result r) => Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);

    private static async Task<string> RunOurs(AgentProcess agent, string image, params string[] cmd)
    {
        var id = await agent.CreateAsync(new { Image = image, Cmd = cmd });
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        return string.Concat((await agent.LogsAsync(id)).Select(f => f.Text));
    }

    private static async Task<string> OurImageId(AgentProcess agent, string image)
    {
        using var doc = JsonDocument.Parse(await agent.Http.GetStringAsync($"images/{image}/json"));
        return doc.RootElement.GetProperty("Id").GetString()!;
    }

    [RequiresRootFact]
    public async Task ImagesSavedByDockerdLoadAndRunHereAndOursLoadAndRunInDockerd()
    {
        Assert.True(DockerdProcess.Unavailable is null, DockerdProcess.Unavailable);
        using var dockerd = new DockerdProcess();
        using var agent = new AgentProcess();
        var dir = dockerd.Dir;

        // A two-layer image made by dockerd itself: import a busybox root, then commit a container that deletes a
        // file (a whiteout in dockerd's layer) and adds one.
        var rootfs = Path.Combine(dir, "rootfs.tar");
        await File.WriteAllBytesAsync(rootfs, ImageArchive.BusyboxLayer(("etc/motd", "from the base\n")));
        Ok(dockerd.Docker("import", "-c", "ENV PATH=/bin", "-c", "CMD [\"sh\"]", rootfs, "dbox:1"));
        Ok(dockerd.Docker("run", "--name", "maker", "--network", "none", "dbox:1", "sh", "-c", "rm /etc/motd; echo added > /added"));
        Ok(dockerd.Docker("commit", "-c", "CMD [\"cat\", \"/added\"]", "maker", "dbox:2"));
        Ok(dockerd.Docker("rm", "maker"));
        var saved = Path.Combine(dir, "dockerd-save.tar");
        Ok(dockerd.Docker("save", "-o", saved, "dbox:2"));
        var dockerId = dockerd.Docker("image", "inspect", "-f", "{{.Id}}", "dbox:2").Stdout.Trim();

        var load = await agent.Http.PostAsync("images/load", Tar(await File.ReadAllBytesAsync(saved)));
        Assert.Contains("Loaded image: dbox:2", await load.Content.ReadAsStringAsync());
        Assert.Equal(dockerId, await OurImageId(agent, "dbox:2"));
        Assert.Equal("added\n", await RunOurs(agent, "dbox:2", "cat", "/added"));
        Assert.Contains("No such file", await RunOurs(agent, "dbox:2", "sh", "-c", "cat /etc/motd 2>&1; true"));

        // The other way: our save (after a commit of ours on top) loads into dockerd with the same id and runs there.
        var ours = await agent.CreateAsync(new { Image = "dbox:2", Cmd = new[] { "sh", "-c", "echo ours > /ours; rm /added" } });
        await agent.PostAsync($"containers/{ours}/start");
        await agent.PostAsync($"containers/{ours}/wait");
        Assert.True((await agent.PostAsync($"commit?container={ours}&repo=ccbox&tag=1")).IsSuccessStatusCode);
        var ourId = await OurImageId(agent, "ccbox:1");
        var ourSave = Path.Combine(dir, "ccagent-save.tar");
        await File.WriteAllBytesAsync(ourSave, await agent.Http.GetByteArrayAsync("images/ccbox:1/get"));
        Ok(dockerd.Docker("load", "-i", ourSave));
        Assert.Equal(ourId, dockerd.Docker("image", "inspect", "-f", "{{.Id}}", "ccbox:1").Stdout.Trim());
        var run = dockerd.Docker("run", "--rm", "--network", "none", "ccbox:1", "sh", "-c", "cat /ours; ls /added /etc/motd 2>&1; true");
        Ok(run);
        Assert.StartsWith("ours\n", run.Stdout);
        Assert.Contains("/added: No such file", run.Stdout);
        Assert.Contains("/etc/motd: No such file", run.Stdout);

        // Save → load round trip here keeps every digest.
        Assert.Equal(200, (int)(await agent.Http.DeleteAsync("images/dbox:2?force=1")).StatusCode);
        Assert.True((await agent.Http.PostAsync("images/load", Tar(await File.ReadAllBytesAsync(saved)))).IsSuccessStatusCode);
        Assert.Equal(dockerId, await OurImageId(agent, "dbox:2"));
    }
}
