using ContainerConsole.Images.Build;

namespace ContainerConsole.Images.Tests.Build;

public sealed class DockerfileReaderTests
{
    private static IReadOnlyList<Instruction> Steps(string text) => DockerfileReader.Read(text).Stages[^1].Instructions;

    private static T Only<T>(string instruction) where T : Instruction => Assert.IsType<T>(Assert.Single(Steps("FROM busybox\n" + instruction)));

    private static string Error(string text) => Assert.Throws<DockerfileException>(() => DockerfileReader.Read(text)).Message;

    [Fact]
    public void ContinuationsJoinLinesAndSkipCommentsAndBlankLinesInside()
    {
        var text = "FROM busybox\n# a comment\nRUN echo a \\\n  # inside\n\n    b \\\n    c\nCMD x\n";
        var steps = Steps(text);
        var run = Assert.IsType<RunInstruction>(steps[0]);
        Assert.Equal("echo a     b     c", run.Command.Shell);
        Assert.Equal(3, run.Line);
        Assert.Equal(8, steps[1].Line);
    }

    [Fact]
    public void EscapeDirectiveSwitchesTheContinuationCharacter()
    {
        var file = DockerfileReader.Read("# escape=`\nFROM busybox\nRUN echo c:\\dir `\n  next\n");
        Assert.Equal('`', file.Escape);
        Assert.Equal("echo c:\\dir   next", Assert.IsType<RunInstruction>(Assert.Single(file.Stages[0].Instructions)).Command.Shell);
    }

    [Fact]
    public void DirectivesCountOnlyAtTheTop()
    {
        // after a comment line, "# escape=`" is just a comment
        var file = DockerfileReader.Read("# hello\n# escape=`\nFROM busybox\nRUN a \\\n b\n");
        Assert.Equal('\\', file.Escape);
        Assert.Equal("a  b", Assert.IsType<RunInstruction>(Assert.Single(file.Stages[0].Instructions)).Command.Shell);
        Assert.Contains("Dockerfile:1: invalid escape token", Error("# escape=x\nFROM busybox\n"));
        Assert.Contains("only one syntax parser directive", Error("# syntax=a\n# syntax=b\nFROM busybox\n"));
        Assert.Equal("docker/dockerfile:1", DockerfileParser.Parse("# syntax=docker/dockerfile:1\nFROM x\n").Syntax);
    }

    [Fact]
    public void KeywordsAreCaseInsensitive()
    {
        var steps = Steps("from busybox\nrun true\nWorkDir /x\n");
        Assert.IsType<RunInstruction>(steps[0]);
        Assert.Equal("/x", Assert.IsType<WorkdirInstruction>(steps[1]).Path);
    }

    [Fact]
    public void FromForms()
    {
        var file = DockerfileReader.Read("ARG V=1\nFROM --platform=linux/amd64 busybox:$V AS Build\nFROM scratch\nFROM build\n");
        Assert.Equal(("V", "1"), Assert.Single(Assert.Single(file.MetaArgs).Args));
        Assert.Equal(new FromInstruction("busybox:$V", "build", "linux/amd64"), file.Stages[0].From with { Line = 0, Text = "" });
        Assert.Equal("scratch", file.Stages[1].From.Image);
        Assert.Null(file.Stages[1].From.StageName);
        Assert.Equal(2, file.StageIndex("build") + 2);
        Assert.Contains("Dockerfile:1: FROM requires either one argument, or three", Error("FROM a b\n"));
        Assert.Contains("Dockerfile:2: duplicate name x", Error("FROM a AS x\nFROM b AS x\n"));
        Assert.Contains("invalid name for build stage", Error("FROM a AS 1x\n"));
        Assert.Contains("Dockerfile:1: no build stage in current context", Error("RUN true\nFROM a\n"));
        Assert.Contains("has no FROM", Error("# just a comment\n"));
        Assert.Contains("failed to reach build target nope", Assert.Throws<DockerfileException>(() => DockerfileReader.Read("FROM a\n").StageIndex("nope")).Message);
    }

    [Fact]
    public void RunCmdEntrypointExecAndShellForms()
    {
        var exec = Only<RunInstruction>("RUN [\"echo\", \"a b\"]").Command;
        Assert.Equal(["echo", "a b"], exec.Exec!);
        Assert.Equal(["echo", "a b"], exec.Resolve(["/bin/sh", "-c"]));
        var shell = Only<CmdInstruction>("CMD echo $HOME").Command;
        Assert.Equal(["/bin/sh", "-c", "echo $HOME"], shell.Resolve(["/bin/sh", "-c"]));
        // not valid JSON: shell form, as Docker
        Assert.Equal("[\"echo\", oops]", Only<EntrypointInstruction>("ENTRYPOINT [\"echo\", oops]").Command.Shell);
        Assert.Empty(Only<EntrypointInstruction>("ENTRYPOINT []").Command.Exec!);
        Assert.Equal(["bash", "-ec"], Only<ShellInstruction>("SHELL [\"bash\", \"-ec\"]").Shell);
        Assert.Contains("Dockerfile:2: SHELL requires the arguments to be in JSON form", Error("FROM a\nSHELL bash -c\n"));
        Assert.Contains("Dockerfile:2: RUN requires at least one argument", Error("FROM a\nRUN\n"));
        Assert.Contains("needs BuildKit", Error("FROM a\nRUN --mount=type=cache,target=/x true\n"));
    }

    [Fact]
    public void CopyAndAddForms()
    {
        var copy = Only<CopyInstruction>("COPY --chown=app:app --from=build a* \"b c\" /dst/");
        Assert.Equal(["a*", "\"b c\""], copy.Sources);
        Assert.Equal("/dst/", copy.Destination);
        Assert.Equal("app:app", copy.Chown);
        Assert.Equal("build", copy.From);
        Assert.False(copy.IsAdd);
        var json = Only<CopyInstruction>("ADD [\"with space.txt\", \"/d\"]");
        Assert.True(json.IsAdd);
        Assert.Equal("with space.txt", ShellWords.Expand(json.Sources[0], _ => null, '\\'));
        Assert.Contains("Dockerfile:2: COPY requires at least two arguments", Error("FROM a\nCOPY x\n"));
        Assert.Contains("unknown flag: --from for ADD", Error("FROM a\nADD --from=x a b\n"));
        Assert.Contains("COPY --link needs BuildKit", Error("FROM a\nCOPY --link a b\n"));
    }

    [Fact]
    public void EnvAndLabelForms()
    {
        var legacy = Only<EnvInstruction>("ENV NAME some value here");
        Assert.Equal(new KeyValue("NAME", "some value here"), Assert.Single(legacy.Pairs));
        var pairs = Only<EnvInstruction>("ENV A=1 B=\"two words\" C=three\\ words").Pairs;
        Assert.Equal(["A", "B", "C"], pairs.Select(p => p.Key));
        Assert.Equal(["1", "two words", "three words"], pairs.Select(p => ShellWords.Expand(p.Value, _ => null, '\\')));
        var label = Only<LabelInstruction>("LABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0");
        Assert.Equal("com.example.vendor", ShellWords.Expand(label.Pairs[0].Key, _ => null, '\\'));
        Assert.Contains("Dockerfile:2: ENV must have two arguments", Error("FROM a\nENV lonely\n"));
        Assert.Contains("ENV names can not be blank", Error("FROM a\nENV a=1 =2\n"));
        Assert.Contains("unexpected end of statement while looking for matching \"", Error("FROM a\nENV a=\"1\n"));
    }

    [Fact]
    public void OtherInstructions()
    {
        var arg = Only<ArgInstruction>("ARG A B=2");
        Assert.Equal([("A", (string?)null), ("B", "2")], arg.Args);
        Assert.Equal("app", Only<UserInstruction>("USER app").User);
        Assert.Equal(["80", "53/udp"], Only<ExposeInstruction>("EXPOSE 80 53/udp").Ports);
        Assert.Equal(["/a", "/b"], Only<VolumeInstruction>("VOLUME [\"/a\", \"/b\"]").Paths);
        Assert.Equal(["/c", "/d"], Only<VolumeInstruction>("VOLUME /c /d").Paths);
        Assert.Equal("SIGTERM", Only<StopSignalInstruction>("STOPSIGNAL SIGTERM").Signal);
        Assert.Equal("me", Only<MaintainerInstruction>("MAINTAINER me").Name);
        Assert.Contains("Dockerfile:3: unknown instruction: FOO", Error("FROM a\n\nfoo bar\n"));
        Assert.Contains("Dockerfile:2: ONBUILD is not supported", Error("FROM a\nONBUILD RUN x\n"));
        Assert.Contains("Dockerfile:2: WORKDIR requires exactly one argument", Error("FROM a\nWORKDIR\n"));
    }

    [Fact]
    public void HealthcheckForms()
    {
        var hc = Only<HealthcheckInstruction>("HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=3 CMD curl -f http://localhost/");
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/"], hc.Test);
        Assert.Equal(90_000_000_000, hc.Interval);
        Assert.Equal(500_000_000, hc.Timeout);
        Assert.Equal(2_000_000_000, hc.StartPeriod);
        Assert.Equal(3, hc.Retries);
        Assert.Equal(["CMD", "true"], Only<HealthcheckInstruction>("HEALTHCHECK CMD [\"true\"]").Test);
        Assert.Equal(["NONE"], Only<HealthcheckInstruction>("healthcheck none").Test);
        Assert.Contains("HEALTHCHECK NONE takes no arguments", Error("FROM a\nHEALTHCHECK --interval=1s NONE\n"));
        Assert.Contains("--interval: invalid duration \"5\"", Error("FROM a\nHEALTHCHECK --interval=5 CMD true\n"));
        Assert.Contains("--retries must be a non-negative integer", Error("FROM a\nHEALTHCHECK --retries=x CMD true\n"));
        Assert.Contains("Unknown type \"RUN\" in HEALTHCHECK", Error("FROM a\nHEALTHCHECK RUN true\n"));
    }
}
