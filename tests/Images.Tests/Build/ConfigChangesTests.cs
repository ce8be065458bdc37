using ContainerConsole.Images.Build;
using ContainerConsole.Images.Oci;

namespace ContainerConsole.Images.Tests.Build;

/// <summary>docker commit/import --change: Dockerfile instructions applied to an image config.</summary>
public sealed class ConfigChangesTests
{
    [Fact]
    public void Changes_apply_in_order_with_variables_from_the_config()
    {
        var start = new ContainerConfig { Env = ["HOME=/root"], WorkingDir = "/srv", Cmd = ["old"] };

        var c = ConfigInstructions.ApplyChanges(start,
        [
            "ENV APP=$HOME/app MODE=prod",
            "CMD run --mode $MODE",
            "ENTRYPOINT [\"/bin/tini\", \"--\"]",
            "EXPOSE 80 9000-9001/udp",
            "LABEL team=ops",
            "VOLUME /data",
            "USER nobody",
            "WORKDIR sub",
            "STOPSIGNAL SIGQUIT",
        ]);

        Assert.Equal(["HOME=/root", "APP=/root/app", "MODE=prod"], c.Env);
        Assert.Equal(["/bin/sh", "-c", "run --mode $MODE"], c.Cmd); // shell form keeps $ for the shell, as docker
        Assert.Equal(["/bin/tini", "--"], c.Entrypoint);
        Assert.Equal(["80/tcp", "9000/udp", "9001/udp"], c.ExposedPorts!.Keys.Order());
        Assert.Equal("ops", c.Labels!["team"]);
        Assert.Contains("/data", c.Volumes!.Keys);
        Assert.Equal("nobody", c.User);
        Assert.Equal("/srv/sub", c.WorkingDir);
        Assert.Equal("SIGQUIT", c.StopSignal);
    }

    [Theory]
    [InlineData("RUN rm -rf /", "RUN is not a valid change command")]
    [InlineData("FROM busybox", "FROM is not a valid change command")]
    [InlineData("EXPOSE http", "invalid containerPort: http")]
    [InlineData("STOPSIGNAL SIGNOPE", "Invalid signal: SIGNOPE")]
    [InlineData("ENV", "ENV")]
    public void Bad_changes_are_refused_naming_the_change(string change, string message)
    {
        var e = Assert.Throws<DockerfileException>(() => ConfigInstructions.ApplyChanges(new ContainerConfig(), [change]));
        Assert.Contains(change, e.Message);
        Assert.Contains(message, e.Message);
    }
}
