namespace ContainerConsole.Integration.Tests;

/// <summary>
/// The masked and read-only /proc and /sys paths: stored in HostConfig at create as dockerd does (the defaults, none
/// for --privileged, none for systempaths=unconfined), so inspect reports them, and applied to the container.
/// </summary>
public sealed class AgentSystemPathsTests
{
    [RequiresRootFact]
    public async Task InspectReportsTheMaskedAndReadonlyPathsTheContainerGets()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("pathbox:1");
        agent.DockerOk("create", "--name", "confined", "pathbox:1", "true");
        agent.DockerOk("create", "--name", "privileged", "--privileged", "pathbox:1", "true");
        agent.DockerOk("create", "--name", "unconfined", "--security-opt", "systempaths=unconfined", "pathbox:1", "true");

        var masked = agent.DockerOk("inspect", "-f", "{{json .HostConfig.MaskedPaths}}", "confined");
        Assert.Contains("\"/proc/kcore\"", masked);
        Assert.Contains("\"/sys/firmware\"", masked);
        Assert.Contains("\"/proc/sys\"", agent.DockerOk("inspect", "-f", "{{json .HostConfig.ReadonlyPaths}}", "confined"));
        Assert.Equal("null null", agent.DockerOk("inspect", "-f", "{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}", "privileged").Trim());
        Assert.Equal("[] []", agent.DockerOk("inspect", "-f", "{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}", "unconfined").Trim());

        // What inspect says is what the container gets: a masked file reads empty, /proc/sys is mounted read-only; unconfined, neither.
        const string script = "wc -c < /proc/timer_list; grep -c ' /proc/sys proc ro,' /proc/mounts; true";
        Assert.Equal(["0", "1"], Lines(agent.DockerOk("run", "--rm", "pathbox:1", "sh", "-c", script)));
        var unconfined = Lines(agent.DockerOk("run", "--rm", "--security-opt", "systempaths=unconfined", "pathbox:1", "sh", "-c", script));
        Assert.NotEqual("0", unconfined[0]);
        Assert.Equal("0", unconfined[1]);
    }

    [RequiresRootFact]
    public async Task RelativeMaskedPathsAreRefusedWithNothingLeftBehind()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("pathbox:1");
        var body = new StringContent("""{"Image":"pathbox:1","Cmd":["true"],"HostConfig":{"MaskedPaths":["proc/kcore"]}}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await agent.Http.PostAsync("containers/create", body);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be absolute: \\\"proc/kcore\\\"", await response.Content.ReadAsStringAsync());
        Assert.Equal("", agent.DockerOk("ps", "-aq").Trim());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
