using Bunit;
using ContainerConsole.Server.Containers;
using ContainerConsole.Server.WebConsole;
using ContainerConsole.Web.Components.Containers;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>The run dialog's mounts, working directory, network aliases and multi-word entrypoint.</summary>
public sealed class RunDialogMountTests : BunitContext
{
    private readonly FakeRunner _runner = new();

    public RunDialogMountTests()
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerRunner>(_runner);
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void Mounts_workdir_and_aliases_show_as_docker_run_flags()
    {
        var request = new RunRequest(
            "busybox",
            Network: "backend",
            Mounts: [new RunMount("bind", "/srv/a,b", "/data", ReadOnly: true), new RunMount("volume", null, "/cache"), new RunMount("tmpfs", null, "/run/x")],
            WorkingDir: "/app dir",
            NetworkAliases: ["db", "primary"]);

        Assert.Equal(
            "docker run -d --workdir '/app dir' --mount 'type=bind,\"source=/srv/a,b\",target=/data,readonly' --mount type=volume,target=/cache "
            + "--mount type=tmpfs,target=/run/x --network backend --network-alias db --network-alias primary busybox",
            DockerRunCommand.Format(request));
    }

    [Fact]
    public void A_multi_word_entrypoint_is_sent_as_the_docker_run_line_does_it()
    {
        var (request, errors) = new RunForm { ImageText = "busybox", EntrypointText = "sh -c", CommandText = "'echo hi'" }.Read();

        Assert.Empty(errors);
        // docker run --entrypoint sh busybox -c 'echo hi' gives Entrypoint [sh] and Cmd [-c, echo hi].
        Assert.Equal(["sh"], request!.Entrypoint);
        Assert.Equal(["-c", "echo hi"], request.Cmd);
        Assert.Equal("docker run -d --entrypoint sh busybox -c 'echo hi'", DockerRunCommand.Format(request));

        var (alone, _) = new RunForm { ImageText = "busybox", EntrypointText = "sleep 5" }.Read();
        Assert.Equal(["sleep"], alone!.Entrypoint);
        Assert.Equal(["5"], alone.Cmd);
        Assert.Equal("docker run -d --entrypoint sleep busybox 5", DockerRunCommand.Format(alone));
    }

    [Theory]
    [InlineData("bind", "relative", "/data", "absolute host path")]
    [InlineData("volume", "data", "data", "absolute target path")]
    [InlineData("tmpfs", "", "", "needs a target path")]
    [InlineData("nfs", "", "/x", "Unknown mount type 'nfs'")]
    public void Bad_mount_rows_are_refused_with_why(string type, string source, string target, string problem)
    {
        var form = new RunForm { ImageText = "busybox" };
        form.MountRows.Add(new MountRow { Type = type, Source = source, Target = target });

        var (request, errors) = form.Read();

        Assert.Null(request);
        Assert.Contains(problem, errors[RunForm.Mounts]);
    }

    [Fact]
    public void Form_refuses_a_relative_workdir_and_aliases_without_a_network()
    {
        var (request, errors) = new RunForm { ImageText = "busybox", WorkingDir = "app", NetworkAliasesText = "db" }.Read();

        Assert.Null(request);
        Assert.Contains("'app' must be an absolute path", errors[RunForm.WorkingDirField]);
        Assert.Contains("need a network chosen", errors[RunForm.Networks]);
    }

    [Fact]
    public void The_server_takes_mounts_workdir_and_aliases_into_its_create_body()
    {
        var form = new RunForm { ImageText = "busybox", Network = "backend", NetworkAliasesText = "db, primary", WorkingDir = "/app" };
        form.MountRows.Add(new MountRow { Type = MountRow.Bind, Source = "/srv", Target = "/data", ReadOnly = true });
        form.MountRows.Add(new MountRow { Type = MountRow.Tmpfs, Source = "ignored", Target = "/run/x" });
        var (request, errors) = form.Read();
        Assert.Empty(errors);

        var spec = ConsoleContainerRunner.ToSpec(request!);

        Assert.Empty(ContainerSpecs.Validate(spec));
        var body = ContainerSpecs.ToCreateBody(spec);
        Assert.Equal("/app", body["WorkingDir"]!.GetValue<string>());
        var mounts = body["HostConfig"]!["Mounts"]!.AsArray();
        Assert.Equal(2, mounts.Count);
        Assert.Equal("bind", mounts[0]!["Type"]!.GetValue<string>());
        Assert.Equal("/srv", mounts[0]!["Source"]!.GetValue<string>());
        Assert.True(mounts[0]!["ReadOnly"]!.GetValue<bool>());
        Assert.Equal("tmpfs", mounts[1]!["Type"]!.GetValue<string>());
        Assert.Null(spec.Mounts![1].Source);
        Assert.Equal(["db", "primary"], spec.Networks![0].Aliases);
    }

    [Fact]
    public void Mount_rows_are_added_filled_and_removed_in_the_dialog()
    {
        var dialog = Render<RunDialog>(p => p.Add(d => d.Hosts, ["h1"]));
        dialog.Find("#run-image").Input("busybox");
        dialog.FindAll("footer button").Single(b => b.TextContent.Contains("Show as docker run")).Click();
        var add = () => dialog.FindAll("button").Single(b => b.TextContent.Contains("Add mount")).Click();

        add();
        add();
        dialog.Find("[aria-label='Mount 1 type']").Change("bind");
        dialog.Find("[aria-label='Mount 1 source']").Input("relative");
        dialog.Find("[aria-label='Mount 1 target']").Input("/data");
        Assert.Equal("Mount 1: The bind mount on /data needs an absolute host path as source. Mount 2: The volume mount needs a target path in the container.", dialog.Find("#run-mounts-error").TextContent);
        dialog.Find("[aria-label='Mount 1 source']").Input("/srv");
        dialog.Find("[aria-label='Mount 2 type']").Change("tmpfs");
        Assert.True(dialog.Find("[aria-label='Mount 2 source']").HasAttribute("disabled"));
        dialog.Find("[aria-label='Mount 2 target']").Input("/tmp/x");
        dialog.Find("#run-workdir").Input("/data");
        dialog.Find("#run-network").Change("backend");
        dialog.Find("#run-network-aliases").Input("db");
        Assert.Equal(
            "docker run -d --workdir /data --mount type=bind,source=/srv,target=/data --mount type=tmpfs,target=/tmp/x --network backend --network-alias db busybox",
            dialog.Find("#run-command").TextContent);

        dialog.Find("[aria-label='Remove mount 2']").Click();
        dialog.Find("form").Submit();

        var (_, request) = Assert.Single(_runner.Runs);
        Assert.Equal([new RunMount("bind", "/srv", "/data")], request.Mounts);
        Assert.Equal("/data", request.WorkingDir);
        Assert.Equal(["db"], request.NetworkAliases);
    }
}
