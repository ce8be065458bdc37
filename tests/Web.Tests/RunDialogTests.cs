using Bunit;
using ContainerConsole.Server.Containers;
using ContainerConsole.Server.WebConsole;
using ContainerConsole.Web.Components.Containers;
using ContainerConsole.Web.Model;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using ContainersPage = ContainerConsole.Web.Components.Pages.Containers;

namespace ContainerConsole.Web.Tests;

/// <summary>The run dialog: reading its fields, the docker run line it shows, what it sends and how refusals show.</summary>
public sealed class RunDialogTests : BunitContext
{
    private readonly FakeRunner _runner = new();

    public RunDialogTests()
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerRunner>(_runner);
        Services.AddSingleton<IContainerActions>(new FakeContainerActions());
        Services.AddSingleton<IContainerDetailsService>(new FakeDetails());
        Services.AddSingleton<ILogFeed>(new FakeLogFeed([]));
    }

    /// <summary>Last step before rendering: after it, no service can be added.</summary>
    private void Interactive()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("", "''")]
    [InlineData("a;rm -rf /", "'a;rm -rf /'")]
    [InlineData("K=v:1,2", "K=v:1,2")]
    [InlineData("*", "'*'")]
    public void Shell_quoting_keeps_each_word_one_word(string word, string quoted) =>
        Assert.Equal(quoted, ShellWords.Quote(word));

    [Fact]
    public void Splitting_a_quoted_line_gives_back_the_words_and_names_an_unclosed_quote()
    {
        Assert.Equal(["sh", "-c", "echo 'hi' \"there\"; sleep 5", "x y"], ShellWords.Split("sh -c \"echo 'hi' \\\"there\\\"; sleep 5\" x\\ y"));
        Assert.Equal(["a", "", "b"], ShellWords.Split("a '' b"));
        Assert.Contains("single quote", Assert.Throws<FormatException>(() => ShellWords.Split("echo 'oops")).Message);
        Assert.Contains("double quote", Assert.Throws<FormatException>(() => ShellWords.Split("echo \"oops")).Message);
        foreach (var word in new[] { "it's", "$x y", "a\"b", "\\" })
        {
            Assert.Equal([word], ShellWords.Split(ShellWords.Quote(word)));
        }
    }

    [Fact]
    public void The_docker_run_line_has_every_setting_quoted()
    {
        var request = new RunRequest(
            "registry:5000/team/app:1.2",
            Name: "web",
            Cmd: ["sh", "-c", "echo it's up; sleep 1000"],
            Entrypoint: ["/bin/tini", "--"],
            Env: [new("GREETING", "hello world"), new("EMPTY", "")],
            Ports: [new RunPort(80, HostPort: 8080), new RunPort(53, "udp"), new RunPort(443, "tcp", 8443, "127.0.0.1"), new RunPort(22, "tcp", 2222, "::1")],
            Volumes: ["data:/var/lib/app", "/srv/conf:/etc/app:ro"],
            Network: "backend",
            Memory: "256m",
            Cpus: 0.5,
            PidsLimit: 100,
            RestartPolicy: "on-failure:3",
            HealthCheck: new RunHealthCheck("wget -q -O- http://localhost/ || exit 1", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), 3, TimeSpan.FromHours(1)),
            CapAdd: ["NET_ADMIN"],
            CapDrop: ["ALL"],
            ReadOnly: true,
            User: "1000:1000",
            Labels: [new("tier", "front end")],
            Hostname: "web-1",
            Tty: true);

        Assert.Equal(
            "docker run -d --name web --hostname web-1 --user 1000:1000 -t --read-only -e 'GREETING=hello world' -e EMPTY= "
            + "-p 8080:80 -p 53/udp -p 127.0.0.1:8443:443 -p '[::1]:2222:22' -v data:/var/lib/app -v /srv/conf:/etc/app:ro "
            + "--network backend --memory 256m --cpus 0.5 --pids-limit 100 --restart on-failure:3 "
            + "--health-cmd 'wget -q -O- http://localhost/ || exit 1' --health-interval 1m30s --health-timeout 500ms --health-retries 3 --health-start-period 1h "
            + "--cap-add NET_ADMIN --cap-drop ALL --label 'tier=front end' --entrypoint /bin/tini registry:5000/team/app:1.2 -- sh -c 'echo it'\\''s up; sleep 1000'",
            DockerRunCommand.Format(request));
        Assert.Equal("docker run -d busybox", DockerRunCommand.Format(new RunRequest("busybox", RestartPolicy: "no")));
    }

    [Theory]
    [InlineData("80", 80, "tcp", null, null)]
    [InlineData("8080:80", 80, "tcp", 8080, null)]
    [InlineData("53/udp", 53, "udp", null, null)]
    [InlineData("127.0.0.1:8080:80/sctp", 80, "sctp", 8080, "127.0.0.1")]
    [InlineData("127.0.0.1::80", 80, "tcp", null, "127.0.0.1")]
    [InlineData("[::1]:8080:80", 80, "tcp", 8080, "::1")]
    public void Ports_read_as_docker_run_p(string text, int container, string protocol, int? hostPort, string? ip) =>
        Assert.Equal(new RunPort(container, protocol, hostPort, ip), RunForm.ParsePort(text));

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("80/icmp")]
    [InlineData("x:80")]
    [InlineData("not-an-ip:1:80")]
    public void Bad_ports_are_refused(string text) => Assert.Null(RunForm.ParsePort(text));

    [Fact]
    public void Form_errors_name_the_field_and_the_problem()
    {
        var form = new RunForm { PortsText = "8080:80\nabc", EnvText = "NOEQUALS", CpusText = "half", CommandText = "echo 'x", HealthCommand = "true", HealthIntervalText = "soon" };
        var (request, errors) = form.Read();

        Assert.Null(request);
        Assert.Equal("An image is required.", errors[RunForm.Image]);
        Assert.Contains("'abc' is not a port", errors[RunForm.Ports]);
        Assert.Contains("NAME=value", errors[RunForm.Env]);
        Assert.Contains("'half' is not a number of cores", errors[RunForm.Cpus]);
        Assert.Contains("single quote", errors[RunForm.Command]);
        Assert.Contains("'soon' is not a duration", errors[RunForm.Health]);
        Assert.Equal("ports", RunForm.FieldOf("ports[1].hostPort"));
        Assert.Equal("env", RunForm.FieldOf("env.PATH"));
        Assert.Equal(TimeSpan.FromSeconds(90), RunForm.ParseDuration("1m30s"));
    }

    [Fact]
    public void The_server_reads_the_dialogs_request_as_its_create_model_and_finds_it_valid()
    {
        var (request, errors) = new RunForm
        {
            ImageText = "busybox:latest", NameText = "web", CommandText = "sh -c 'sleep 1000'", EnvText = "A=1\nB=two words",
            PortsText = "8080:80", VolumesText = "data:/data:ro", Network = "backend", MemoryText = "64m", CpusText = "0.5",
            PidsLimitText = "50", RestartPolicy = "on-failure", RestartRetriesText = "2", HealthCommand = "true", HealthIntervalText = "5s",
            CapAddText = "net_admin", CapDropText = "ALL", ReadOnly = true, User = "nobody", LabelsText = "tier=front", Hostname = "web-1",
        }.Read();
        Assert.Empty(errors);

        var spec = ConsoleContainerRunner.ToSpec(request!);

        Assert.Empty(ContainerSpecs.Validate(spec));
        var body = ContainerSpecs.ToCreateBody(spec);
        Assert.Equal("[\"CMD-SHELL\",\"true\"]", body["Healthcheck"]!["Test"]!.ToJsonString());
        Assert.Equal("[\"sh\",\"-c\",\"sleep 1000\"]", body["Cmd"]!.ToJsonString());
        Assert.Equal("on-failure", body["HostConfig"]!["RestartPolicy"]!["Name"]!.GetValue<string>());
        Assert.Equal("backend", body["HostConfig"]!["NetworkMode"]!.GetValue<string>());
        Assert.Equal("web-1", body["Hostname"]!.GetValue<string>());
    }

    [Fact]
    public void The_dialog_shows_the_command_line_and_runs_on_the_chosen_host()
    {
        Interactive();
        var dialog = Render<RunDialog>(p => p.Add(d => d.Hosts, ["h1", "h2"]));

        dialog.Find("#run-host").Change("h2");
        Assert.Contains(dialog.FindAll("#run-image-tags option"), o => o.GetAttribute("value") == "h2-app:1.0");
        dialog.Find("#run-image").Input("busybox:latest");
        dialog.Find("#run-cmd").Input("sh -c 'echo hi; sleep 100'");
        dialog.Find("#run-ports").Input("8080:80");
        dialog.FindAll("footer button").Single(b => b.TextContent.Contains("Show as docker run")).Click();
        Assert.Equal("docker run -d -p 8080:80 busybox:latest sh -c 'echo hi; sleep 100'", dialog.Find("#run-command").TextContent);

        dialog.Find("form").Submit();

        var (host, request) = Assert.Single(_runner.Runs);
        Assert.Equal("h2", host);
        Assert.Equal(["sh", "-c", "echo hi; sleep 100"], request.Cmd);
        Assert.Equal([new RunPort(80, "tcp", 8080)], request.Ports);
    }

    [Fact]
    public void Refusals_land_on_their_fields_and_nothing_is_sent_while_the_form_is_unreadable()
    {
        Interactive();
        var dialog = Render<RunDialog>(p => p.Add(d => d.Hosts, ["h1"]));
        dialog.Find("#run-ports").Input("eighty");
        Assert.Contains("'eighty' is not a port", dialog.Find("#run-ports-error").TextContent);
        Assert.Equal("true", dialog.Find("#run-ports").GetAttribute("aria-invalid"));
        Assert.Equal("", dialog.Find("#run-image-error").TextContent); // not shouted before Run is pressed

        dialog.Find("form").Submit();
        Assert.Equal("An image is required.", dialog.Find("#run-image-error").TextContent);
        Assert.Empty(_runner.Runs);

        dialog.Find("#run-ports").Input("");
        dialog.Find("#run-image").Input("busybox");
        dialog.Find("#run-name").Input("-bad");
        _runner.Invalid = new() { ["name"] = ["'-bad' is not a container name."], ["ports[0].hostPort"] = ["A port from 0 (any) to 65535 is required."] };
        dialog.Find("form").Submit();

        Assert.Equal("'-bad' is not a container name.", dialog.Find("#run-name-error").TextContent);
        Assert.Contains("65535", dialog.Find("#run-ports-error").TextContent);
        Assert.Contains("refused some settings", dialog.Find(".error-display").TextContent);
    }

    [Fact]
    public void Only_an_operator_gets_the_run_button()
    {
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Viewer));
        Services.AddSingleton<IContainerFeed>(new FakeContainerFeed([TestContainers.Make("web")]));
        Interactive();
        var viewerPage = Render<ContainersPage>();
        viewerPage.WaitForAssertion(() => Assert.Single(viewerPage.FindAll("tbody td.name")));
        Assert.DoesNotContain(viewerPage.FindAll("button"), b => b.TextContent.Contains("Run container"));

        using var other = new BunitContext();
        other.Services.AddSingleton(TimeProvider.System);
        other.Services.AddSingleton<IContainerRunner>(_runner);
        other.Services.AddSingleton<IContainerActions>(new FakeContainerActions());
        other.Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Operator));
        other.Services.AddSingleton<IContainerFeed>(new FakeContainerFeed([TestContainers.Make("web")]));
        other.JSInterop.Mode = JSRuntimeMode.Loose;
        other.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var page = other.Render<ContainersPage>();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody td.name")));
        page.FindAll("button").Single(b => b.TextContent.Contains("Run container")).Click();
        Assert.NotNull(page.Find("dialog.run-dialog"));
        Assert.Equal("busybox:latest", page.Find("#run-image-tags option").GetAttribute("value"));
    }
}
