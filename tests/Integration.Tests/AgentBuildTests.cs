using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>docker build against the agent: Dockerfile steps in real containers, the layer cache, errors that leave nothing.</summary>
public sealed class AgentBuildTests
{
    private const string MultiStage = """
        ARG BASE=base:1
        FROM $BASE AS build
        RUN mkdir -p /out && echo built > /out/built.txt && \
            echo gone > /out/gone.txt
        RUN rm /out/gone.txt && echo changed >> /out/built.txt
        COPY data.txt /out/
        FROM base:1
        ENV GREETING="hello world" \
            MODE=test
        WORKDIR /app
        RUN rm /etc/motd && echo "$GREETING" > /app/greeting.txt
        COPY --from=build /out/ ./
        COPY --chown=nobody:nogroup conf/ /app/conf/
        ADD bundle.tar.gz /opt/
        USER nobody
        LABEL org.example.team="core"
        EXPOSE 8080 53/udp
        HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD ["cat", "/app/built.txt"]
        ENTRYPOINT ["sh", "-c"]
        CMD ["cat /app/built.txt"]
        """;

    private sealed record BuildResult(HttpStatusCode Status, string Output, string? Id, string? Error, string Body)
    {
        /// <summary>Per step ("Step n/N : ..."), whether it was taken from the cache.</summary>
        public List<(string Step, bool Cached)> Steps()
        {
            var steps = new List<(string, bool)>();
            foreach (var chunk in Output.Split("Step ").Skip(1))
                steps.Add((chunk[..chunk.IndexOf('\n')], chunk.Contains(" ---> Using cache\n")));
            return steps;
        }
    }

    private static async Task<HttpStatusCode> LoadBaseAsync(AgentProcess agent)
    {
        var archive = ImageArchive.DockerSave("base:1", ImageArchive.BusyboxLayer(("etc/motd", "motd\n")), new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "sh" } });
        var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        return (await agent.Http.PostAsync("images/load", content)).StatusCode;
    }

    private static byte[] Context(params (string Path, string Content)[] files) => Context(files.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Content))).ToArray());

    private static byte[] Context(params (string Path, byte[] Content)[] files)
    {
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)Convert.ToInt32("644", 8) });
        }
        return ms.ToArray();
    }

    private static byte[] GzipTar(string path, string content)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            // fixed times: the same archive bytes on every call, so the build cache can see it is unchanged
            var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "pkg/") { Mode = (UnixFileMode)Convert.ToInt32("755", 8), ModificationTime = time });
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)Convert.ToInt32("644", 8), ModificationTime = time,
            });
        }
        return ms.ToArray();
    }

    private static byte[] MultiStageContext(string data) => Context(
        ("Dockerfile", Encoding.UTF8.GetBytes(MultiStage)),
        ("data.txt", Encoding.UTF8.GetBytes(data)),
        ("conf/app.conf", Encoding.UTF8.GetBytes("key=value\n")),
        ("bundle.tar.gz", GzipTar("pkg/unpacked.txt", "from the archive\n")));

    private static async Task<BuildResult> BuildAsync(AgentProcess agent, byte[] context, string query = "")
    {
        var body = new ByteArrayContent(context);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        var r = await agent.Http.PostAsync("build?" + query, body);
        var text = await r.Content.ReadAsStringAsync();
        var output = new StringBuilder();
        string? id = null, error = null;
        if (r.StatusCode == HttpStatusCode.OK)
        {
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.TryGetProperty("stream", out var s))
                    output.Append(s.GetString());
                if (root.TryGetProperty("aux", out var aux))
                    id = aux.GetProperty("ID").GetString();
                if (root.TryGetProperty("error", out var e))
                {
                    error = e.GetString();
                    Assert.Equal(error, root.GetProperty("errorDetail").GetProperty("message").GetString());
                }
            }
        }
        return new BuildResult(r.StatusCode, output.ToString(), id, error, text);
    }

    private static async Task<string> RunAsync(AgentProcess agent, string image, string script)
    {
        var id = await agent.CreateAsync(new { Image = image, Entrypoint = new[] { "sh", "-c" }, Cmd = new[] { script } });
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        var text = string.Concat((await agent.LogsAsync(id)).Select(f => f.Text));
        await agent.Http.DeleteAsync($"containers/{id}");
        return text;
    }

    private static void AssertNoBuildLeftovers(AgentProcess agent)
    {
        var work = Path.Combine(agent.Dir, "data", "build");
        Assert.True(!Directory.Exists(work) || !Directory.EnumerateFileSystemEntries(work).Any(), "a build work directory was left behind");
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(agent.Dir, StringComparison.Ordinal));
        var cgroups = Directory.EnumerateDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, "containerconsole"))
            .Where(Directory.Exists).SelectMany(d => Directory.EnumerateDirectories(d, "build-*")).ToList();
        Assert.True(cgroups.Count == 0, $"leaked build cgroups: {string.Join(", ", cgroups)}");
        var runtimeState = Path.Combine(agent.Dir, "run", "runtime");
        // one state directory per container; .seccomp-cache is the runtime's shared cache
        Assert.True(!Directory.Exists(runtimeState) || !Directory.EnumerateDirectories(runtimeState).Any(d => !Path.GetFileName(d).StartsWith('.')),
            "the runtime still knows a build container");
        Assert.Empty(Leaks.ProcessesInCgroupsNamed("/containerconsole/build-"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(agent.Dir, "data", "image", "tmp")));
    }

    [RequiresRootFact]
    public async Task MultiStageBuildRunsStepsInContainersAndTheCacheFollowsTheCopiedFiles()
    {
        using var agent = new AgentProcess();
        Assert.Equal(HttpStatusCode.OK, await LoadBaseAsync(agent));

        var first = await BuildAsync(agent, MultiStageContext("data v1\n"), "t=built:1&t=built:latest");
        Assert.True(first.Error is null && first.Id is not null, first.Body);
        Assert.Contains("Step 1/17 : FROM $BASE AS build\n", first.Output);
        Assert.Contains(" ---> Running in ", first.Output);
        Assert.Contains("Removing intermediate container ", first.Output);
        Assert.Contains($"Successfully built {first.Id![7..19]}\n", first.Output);
        Assert.Contains("Successfully tagged built:1\n", first.Output);
        Assert.DoesNotContain(first.Steps(), s => s.Cached);

        using (var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync("images/built:1/json")))
        {
            var image = inspect.RootElement;
            Assert.Equal(first.Id, image.GetProperty("Id").GetString());
            var c = image.GetProperty("Config");
            Assert.Contains("GREETING=hello world", c.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains("MODE=test", c.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("/app", c.GetProperty("WorkingDir").GetString());
            Assert.Equal("nobody", c.GetProperty("User").GetString());
            Assert.Equal(["sh", "-c"], c.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(["cat /app/built.txt"], c.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal("core", c.GetProperty("Labels").GetProperty("org.example.team").GetString());
            Assert.Equal(["53/udp", "8080/tcp"], c.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order());
            var hc = c.GetProperty("Healthcheck");
            Assert.Equal(["CMD", "cat", "/app/built.txt"], hc.GetProperty("Test").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(5_000_000_000, hc.GetProperty("Interval").GetInt64());
            Assert.Equal(2_000_000_000, hc.GetProperty("Timeout").GetInt64());
            Assert.Equal(3, hc.GetProperty("Retries").GetInt32());
        }

        // the deletion of a base image file is a whiteout in the stored layer blob
        var saved = await agent.Http.GetByteArrayAsync("images/built:1/get");
        Assert.Contains(LayerEntries(saved), e => e == "etc/.wh.motd");

        var run = await RunAsync(agent, "built:1",
            "cat /app/built.txt /app/data.txt /app/greeting.txt /opt/pkg/unpacked.txt; stat -c '%u:%g %n' /app/conf/app.conf /app/built.txt; id -u; pwd; " +
            "ls /etc/motd /app/gone.txt 2>&1; echo $MODE");
        Assert.Equal(
            "built\nchanged\ndata v1\nhello world\nfrom the archive\n65534:65534 /app/conf/app.conf\n0:0 /app/built.txt\n65534\n/app\n" +
            "ls: /etc/motd: No such file or directory\nls: /app/gone.txt: No such file or directory\ntest\n", run);
        Assert.Equal("built\nchanged\n", await RunAsync(agent, "built:latest", "cat /app/built.txt"));

        // unchanged context: every step from the cache, the same image
        var again = await BuildAsync(agent, MultiStageContext("data v1\n"), "t=built:1");
        Assert.True(again.Error is null, again.Body);
        Assert.True(again.Steps().Count(s => s.Cached) == 15, again.Output); // all but the two FROMs
        Assert.Equal(first.Id, again.Id);
        Assert.DoesNotContain(" ---> Running in ", again.Output);

        // a changed copied file: the steps from its COPY on are rebuilt, the ones before are not
        var changed = await BuildAsync(agent, MultiStageContext("data v2\n"), "t=built:2");
        Assert.True(changed.Error is null, changed.Body);
        Assert.NotEqual(first.Id, changed.Id);
        var steps = changed.Steps();
        Assert.Equal(17, steps.Count);
        Assert.Equal([false, true, true, false], steps.Take(4).Select(s => s.Cached));
        Assert.StartsWith("5/17 : FROM base:1", steps[4].Step);
        Assert.Equal([true, true, true], steps.Skip(5).Take(3).Select(s => s.Cached)); // ENV, WORKDIR, RUN
        Assert.StartsWith("9/17 : COPY --from=build", steps[8].Step);
        Assert.DoesNotContain(steps.Skip(8), s => s.Cached);
        Assert.Equal("data v2\n", await RunAsync(agent, "built:2", "cat /app/data.txt"));
        Assert.Equal("data v1\n", await RunAsync(agent, "built:1", "cat /app/data.txt"));
        AssertNoBuildLeftovers(agent);
    }

    private static List<string> LayerEntries(byte[] saved)
    {
        var names = new List<string>();
        using var outer = new TarReader(new MemoryStream(saved));
        while (outer.GetNextEntry() is { } e)
        {
            if (!e.Name.StartsWith("blobs/sha256/", StringComparison.Ordinal) || e.DataStream is null)
                continue;
            var data = new MemoryStream();
            e.DataStream.CopyTo(data);
            data.Position = 0;
            try
            {
                using var inner = new TarReader(data);
                while (inner.GetNextEntry() is { } l)
                    names.Add(l.Name);
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
            {
                // JSON blobs are not tars
            }
        }
        return names;
    }

    [RequiresRootFact]
    public async Task FailingRunGivesDockersErrorAndLeavesNothing()
    {
        using var agent = new AgentProcess();
        Assert.Equal(HttpStatusCode.OK, await LoadBaseAsync(agent));
        var imagesBefore = await agent.Http.GetStringAsync("images/json");

        var result = await BuildAsync(agent, Context(("Dockerfile", "FROM base:1\nRUN echo about to fail; touch /tmp/x; false\nRUN echo never\n")), "t=bad:1");
        Assert.Equal(HttpStatusCode.OK, result.Status); // the stream had started, as with dockerd
        Assert.Equal("The command '/bin/sh -c echo about to fail; touch /tmp/x; false' returned a non-zero code: 1", result.Error);
        Assert.Contains("about to fail\n", result.Output);
        Assert.DoesNotContain("never", result.Output.Replace("RUN echo never", ""));
        Assert.Null(result.Id);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.GetAsync("images/bad:1/json")).StatusCode);
        Assert.Equal(imagesBefore, await agent.Http.GetStringAsync("images/json"));
        Assert.Equal("[]", await agent.Http.GetStringAsync("containers/json?all=1"));
        AssertNoBuildLeftovers(agent);

        var missing = await BuildAsync(agent, Context(("Dockerfile", "FROM base:1\nCOPY nothere.txt /x\n")));
        Assert.Contains("file not found in build context", missing.Error);
        AssertNoBuildLeftovers(agent);
    }

    [RequiresRootFact]
    public async Task MalformedDockerfilesAndHostileContextsAreRefusedBeforeAnyStep()
    {
        using var agent = new AgentProcess();
        Assert.Equal(HttpStatusCode.OK, await LoadBaseAsync(agent));

        var bad = await BuildAsync(agent, Context(("Dockerfile", "FROM base:1\nRUN echo a \\\n  b\nFOO bar\n")));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("Dockerfile:4: unknown instruction: FOO", JsonDocument.Parse(bad.Body).RootElement.GetProperty("message").GetString());

        var named = await BuildAsync(agent, Context(("build/Custom.dockerfile", "FROM base:1\nENV\n")), "dockerfile=build/Custom.dockerfile");
        Assert.Equal(HttpStatusCode.BadRequest, named.Status);
        Assert.Contains("build/Custom.dockerfile:2: ENV requires at least one argument", named.Body);

        var none = await BuildAsync(agent, Context(("other", "x")));
        Assert.Equal(HttpStatusCode.BadRequest, none.Status);
        Assert.Contains("Cannot locate specified Dockerfile: Dockerfile", none.Body);

        var hostile = await BuildAsync(agent, Context(("Dockerfile", "FROM base:1\nCOPY . /\n"), ("../../escape.txt", "x")));
        Assert.Equal(HttpStatusCode.BadRequest, hostile.Status);
        Assert.Contains("points outside the context", hostile.Body);

        var target = await BuildAsync(agent, Context(("Dockerfile", "FROM base:1 AS one\n")), "target=two");
        Assert.Equal(HttpStatusCode.BadRequest, target.Status);
        Assert.Contains("failed to reach build target two", target.Body);
        AssertNoBuildLeftovers(agent);
    }

    [RequiresRootFact]
    public async Task TargetBuildArgsAndLabelsFromTheQuery()
    {
        using var agent = new AgentProcess();
        Assert.Equal(HttpStatusCode.OK, await LoadBaseAsync(agent));
        var dockerfile = "FROM base:1 AS first\nARG WHO=nobody\nRUN echo \"hi $WHO\" > /hi\nFROM first AS second\nRUN false\n";
        var r = await BuildAsync(agent, Context(("Dockerfile", dockerfile)),
            "target=first&t=first:1&buildargs=" + Uri.EscapeDataString("{\"WHO\":\"arg\",\"UNUSED\":\"x\"}") + "&labels=" + Uri.EscapeDataString("{\"from.query\":\"yes\"}"));
        Assert.True(r.Error is null, r.Body);
        Assert.Contains("Step 4/4 : LABEL", r.Output);
        Assert.Contains("[Warning] One or more build-args [UNUSED] were not consumed", r.Output);
        Assert.Equal("hi arg\n", await RunAsync(agent, "first:1", "cat /hi"));
        using var inspect = JsonDocument.Parse(await agent.Http.GetStringAsync("images/first:1/json"));
        Assert.Equal("yes", inspect.RootElement.GetProperty("Config").GetProperty("Labels").GetProperty("from.query").GetString());
        Assert.DoesNotContain("WHO=arg", inspect.RootElement.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));

        // another value of the build arg: the RUN that sees it is not taken from the cache
        var other = await BuildAsync(agent, Context(("Dockerfile", dockerfile)), "target=first&t=first:2&buildargs=" + Uri.EscapeDataString("{\"WHO\":\"other\"}"));
        Assert.Equal([true, false], other.Steps().Skip(1).Take(2).Select(s => s.Cached));
        Assert.Equal("hi other\n", await RunAsync(agent, "first:2", "cat /hi"));
        AssertNoBuildLeftovers(agent);
    }

    [RequiresRootFact]
    public async Task CopyFromAStageIndexAndFromAnImage()
    {
        using var agent = new AgentProcess();
        Assert.Equal(HttpStatusCode.OK, await LoadBaseAsync(agent));
        var r = await BuildAsync(agent, Context(("Dockerfile",
            "FROM base:1\nRUN echo stage zero > /zero\nFROM base:1\nCOPY --from=0 /zero /from-index\nCOPY --from=base:1 /etc/motd /from-image\n")), "t=from:1");
        Assert.True(r.Error is null, r.Body);
        Assert.Equal("stage zero\nmotd\n", await RunAsync(agent, "from:1", "cat /from-index /from-image"));
        var missing = await BuildAsync(agent, Context(("Dockerfile", "FROM base:1\nCOPY --from=nosuch /x /y\n")));
        Assert.Contains("no stage or image named nosuch", missing.Error);
        AssertNoBuildLeftovers(agent);
    }

    [RequiresRootFact]
    public async Task DockerCliLegacyBuilderWorks()
    {
        const string docker = "/usr/local/bin/docker";
        Assert.True(File.Exists(docker), "the docker CLI is expected at /usr/local/bin/docker");
        using var agent = new AgentProcess();
        Assert.Equal(HttpStatusCode.OK, await LoadBaseAsync(agent));
        var dir = Directory.CreateTempSubdirectory("cc-build-cli-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM base:1\nCOPY . /ctx/\nRUN ls /ctx\nCMD [\"ls\", \"/ctx\"]\n");
            File.WriteAllText(Path.Combine(dir, "kept.txt"), "kept\n");
            File.WriteAllText(Path.Combine(dir, "ignored.txt"), "ignored\n");
            File.WriteAllText(Path.Combine(dir, ".dockerignore"), "ignored.txt\n");
            var env = $"DOCKER_BUILDKIT=0";
            var result = TestEnvironment.Run("/usr/bin/env", env, docker, "-H", "unix://" + agent.Socket, "build", "-t", "cli:1", dir);
            Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
            Assert.Contains("Successfully tagged cli:1", result.Stdout);
            Assert.Contains("kept.txt", result.Stdout);
            Assert.DoesNotContain("ignored.txt", result.Stdout);
            var inspect = TestEnvironment.Run(docker, "-H", "unix://" + agent.Socket, "image", "inspect", "-f", "{{json .Config.Cmd}}", "cli:1");
            Assert.True(inspect.ExitCode == 0, inspect.Stderr);
            Assert.Equal("[\"ls\",\"/ctx\"]\n", inspect.Stdout);

            // As against dockerd: build steps are hidden intermediate images, not dangling ones.
            var images = TestEnvironment.Run(docker, "-H", "unix://" + agent.Socket, "images", "--format", "{{.Repository}}:{{.Tag}}");
            Assert.Equal(["base:1", "cli:1"], images.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
            var withSteps = TestEnvironment.Run(docker, "-H", "unix://" + agent.Socket, "images", "-a", "-q");
            Assert.Equal(4, withSteps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // base, COPY, RUN, CMD
            Assert.Equal("", TestEnvironment.Run(docker, "-H", "unix://" + agent.Socket, "images", "-q", "-f", "dangling=true").Stdout);
            var parent = TestEnvironment.Run(docker, "-H", "unix://" + agent.Socket, "image", "inspect", "-f", "{{.Parent}}", "cli:1");
            Assert.StartsWith("sha256:", parent.Stdout);

            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM base:1\nRUN exit 3\n");
            var failed = TestEnvironment.Run("/usr/bin/env", env, docker, "-H", "unix://" + agent.Socket, "build", dir);
            Assert.NotEqual(0, failed.ExitCode);
            Assert.Contains("The command '/bin/sh -c exit 3' returned a non-zero code: 3", failed.Stderr + failed.Stdout);

            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM base:1\nBAD line\n");
            var malformed = TestEnvironment.Run("/usr/bin/env", env, docker, "-H", "unix://" + agent.Socket, "build", dir);
            Assert.NotEqual(0, malformed.ExitCode);
            Assert.Contains("Dockerfile:2: unknown instruction: BAD", malformed.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        AssertNoBuildLeftovers(agent);
    }
}
