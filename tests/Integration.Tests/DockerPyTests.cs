namespace ContainerConsole.Integration.Tests;

/// <summary>The agent through docker-py (Debian's python3-docker): tests/sdk/docker_py_check.py against a fresh agent.</summary>
public sealed class DockerPyTests
{
    // Debian's interpreter: its dist-packages hold python3-docker, whatever python3 comes first on PATH.
    private const string Python = "/usr/bin/python3";

    [RequiresRootFact]
    public void DockerPyDrivesTheAgent()
    {
        using var agent = new AgentProcess();
        var archive = Path.Combine(agent.Dir, "pybox.tar");
        File.WriteAllBytes(archive, ImageArchive.DockerSave("pybox:1", ImageArchive.BusyboxLayer(), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } }));
        var script = Path.Combine(RepoRoot(), "tests", "sdk", "docker_py_check.py");

        var r = TestEnvironment.RunWithInput(Python, null, TimeSpan.FromSeconds(120), script, agent.Socket, archive);

        Assert.True(r.ExitCode == 0, $"docker_py_check.py exited {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("run.output: b'hello python\\n'", lines);
        Assert.Contains("exec_run: (2, b'in-exec 1\\n')", lines);
        Assert.Contains("list.label: ['py-detached', 'py-svc']", lines);
        Assert.Equal("ALL OK", lines[^1]);
    }

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ContainerConsole.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
