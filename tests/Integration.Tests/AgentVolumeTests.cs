using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>Volumes and mounts as the docker CLI uses them against a real agent: -v, --mount, --tmpfs, --volumes-from, docker volume.</summary>
public sealed class AgentVolumeTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static int MountsUnder(string dir) =>
        File.ReadLines("/proc/self/mountinfo").Count(l => l.Split(' ')[4].StartsWith(dir, StringComparison.Ordinal));

    [RequiresRootFact]
    public async Task NamedVolumeOutlivesItsContainerAndIsRefusedRemovalWhileInUse()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        agent.DockerOk("run", "--name", "writer", "-v", "data:/data", "volbox:1", "sh", "-c", "echo kept > /data/file");
        agent.DockerOk("rm", "-v", "writer"); // -v removes anonymous volumes only
        Assert.Equal("kept\n", agent.DockerOk("run", "--rm", "-v", "data:/data", "volbox:1", "cat", "/data/file"));

        Assert.Equal(["data"], Lines(agent.DockerOk("volume", "ls", "-q")));
        using (var doc = JsonDocument.Parse(agent.DockerOk("volume", "inspect", "data")))
        {
            var v = doc.RootElement[0];
            Assert.Equal("local", v.GetProperty("Driver").GetString());
            Assert.Equal("local", v.GetProperty("Scope").GetString());
            Assert.Equal(Path.Combine(agent.Dir, "data", "volumes", "data", "_data"), v.GetProperty("Mountpoint").GetString());
            Assert.Equal("kept\n", File.ReadAllText(Path.Combine(v.GetProperty("Mountpoint").GetString()!, "file")));
        }
        Assert.Contains("get nope: no such volume", agent.Docker("volume", "inspect", "nope").Stderr);

        agent.DockerOk("create", "--name", "holder", "-v", "data:/data", "volbox:1", "true");
        var holder = agent.DockerOk("inspect", "-f", "{{.Id}}", "holder").Trim();
        Assert.Contains($"remove data: volume is in use - [{holder}]", agent.Docker("volume", "rm", "data").Stderr);
        Assert.Equal("volume|data|/data|true", agent.DockerOk("inspect", "-f", "{{range .Mounts}}{{.Type}}|{{.Name}}|{{.Destination}}|{{.RW}}{{end}}", "holder").Trim());
        agent.DockerOk("rm", "holder");
        agent.DockerOk("volume", "rm", "data");
        Assert.Equal("", agent.DockerOk("volume", "ls", "-q"));
        Assert.False(Directory.Exists(Path.Combine(agent.Dir, "data", "volumes", "data")));
        agent.DockerOk("volume", "rm", "-f", "data"); // -f: missing is fine
        // until a moment ahead: "now" has whole seconds and can cut off the last event
        var events = Lines(agent.DockerOk("events", "--since", "0", "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}"));
        Assert.Equal(["create data", "mount data", "unmount data", "mount data", "unmount data", "destroy data"], events);
    }

    [RequiresRootFact]
    public async Task VolumeCreateListFiltersPruneAndSystemDf()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        Assert.Equal("named\n", agent.DockerOk("volume", "create", "--label", "team=a", "named"));
        Assert.Equal("named\n", agent.DockerOk("volume", "create", "named")); // the same name again: the same volume
        agent.DockerOk("volume", "create", "other");
        Assert.Contains("includes invalid characters for a local volume name", agent.Docker("volume", "create", "bad/name").Stderr);
        Assert.Contains("not supported by this agent", agent.Docker("volume", "create", "--opt", "type=nfs", "--opt", "device=:/x", "nfs").Stderr);
        Assert.Contains("invalid option key", agent.Docker("volume", "create", "--opt", "foo=bar", "x1").Stderr);

        agent.DockerOk("create", "--name", "user", "-v", "other:/o", "-v", "/anon", "volbox:1", "true");
        var anon = agent.DockerOk("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}", "user").Trim();
        Assert.Matches("^[0-9a-f]{64}$", anon);
        Assert.Equal(["named"], Lines(agent.DockerOk("volume", "ls", "-q", "-f", "label=team=a")));
        Assert.Equal(["named"], Lines(agent.DockerOk("volume", "ls", "-q", "-f", "dangling=true")));
        Assert.Equal(["other"], Lines(agent.DockerOk("volume", "ls", "-q", "-f", "name=oth")));
        Assert.Equal([anon], Lines(agent.DockerOk("volume", "ls", "-q", "-f", "label=com.docker.volume.anonymous")));

        var df = agent.DockerOk("system", "df", "-v", "--format", "{{range .Volumes}}{{.Name}}={{.Links}} {{end}}");
        Assert.Contains("other=1", df);
        Assert.Contains("named=0", df);

        agent.DockerOk("rm", "user"); // without -v its anonymous volume stays
        Assert.Contains(anon, agent.DockerOk("volume", "ls", "-q"));
        // API 1.42+: prune takes anonymous volumes only, unless --all.
        var pruned = agent.DockerOk("volume", "prune", "-f");
        Assert.Contains(anon, pruned);
        Assert.Equal(["named", "other"], Lines(agent.DockerOk("volume", "ls", "-q")).Order());
        agent.DockerOk("volume", "prune", "-af", "--filter", "label=team=a");
        Assert.Equal(["other"], Lines(agent.DockerOk("volume", "ls", "-q")));
    }

    [RequiresRootFact]
    public async Task BindMountsReadOnlyReadWriteAndMissingSources()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        var host = Directory.CreateTempSubdirectory("cc-bind-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(host, "in.txt"), "from host\n");
            var ro = agent.Docker("run", "--rm", "-v", host + ":/h:ro", "volbox:1", "sh", "-c", "cat /h/in.txt; echo x > /h/new");
            Assert.Equal("from host\n", ro.Stdout);
            Assert.Contains("Read-only file system", ro.Stderr);
            Assert.False(File.Exists(Path.Combine(host, "new")));

            agent.DockerOk("run", "--rm", "-v", host + ":/h:rw,z", "volbox:1", "sh", "-c", "echo written > /h/out.txt");
            Assert.Equal("written\n", File.ReadAllText(Path.Combine(host, "out.txt")));

            agent.DockerOk("run", "--rm", "--mount", $"type=bind,source={host},target=/m,readonly", "volbox:1", "cat", "/m/in.txt");
            Assert.Contains($"invalid mount config for type \"bind\": bind source path does not exist: {host}/missing",
                agent.Docker("run", "--rm", "--mount", $"type=bind,source={host}/missing,target=/m", "volbox:1", "true").Stderr);
            // -v creates a missing source directory, as docker does
            agent.DockerOk("run", "--rm", "-v", host + "/made:/m", "volbox:1", "true");
            Assert.True(Directory.Exists(Path.Combine(host, "made")));

            agent.DockerOk("create", "--name", "bound", "-v", host + ":/h:ro,rshared", "volbox:1", "true");
            Assert.Equal($"bind|{host}|/h|ro,rshared|false|rshared",
                agent.DockerOk("inspect", "-f", "{{range .Mounts}}{{.Type}}|{{.Source}}|{{.Destination}}|{{.Mode}}|{{.RW}}|{{.Propagation}}{{end}}", "bound").Trim());
            Assert.Equal($"[{host}:/h:ro,rshared]", agent.DockerOk("inspect", "-f", "{{.HostConfig.Binds}}", "bound").Trim());

            Assert.Contains("invalid mode: bogus", agent.Docker("create", "-v", host + ":/h:bogus", "volbox:1", "true").Stderr);
            Assert.Contains("Duplicate mount point: /h", agent.Docker("create", "-v", host + ":/h", "-v", "vol:/h", "volbox:1", "true").Stderr);
            Assert.Contains("destination can't be '/'", agent.Docker("create", "-v", host + ":/", "volbox:1", "true").Stderr);
            Assert.DoesNotContain("vol", agent.DockerOk("volume", "ls", "-q")); // the refused create made no volume
        }
        finally
        {
            Directory.Delete(host, recursive: true);
        }
    }

    [RequiresRootFact]
    public async Task TmpfsMountsHaveTheirSizeAndMode()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        var output = agent.DockerOk("run", "--rm", "--tmpfs", "/run:rw,size=64m,mode=1777",
            "--mount", "type=tmpfs,target=/m,tmpfs-size=1048576,tmpfs-mode=0700", "volbox:1",
            "sh", "-c", "df -k /run /m | tail -n 2; stat -c '%a %n' /run /m");
        var lines = Lines(output);
        Assert.Matches(@"^tmpfs\s+65536\s", lines[0]);
        Assert.Matches(@"^tmpfs\s+1024\s", lines[1]);
        Assert.Equal("1777 /run", lines[2]);
        Assert.Equal("700 /m", lines[3]);

        agent.DockerOk("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=4m", "shared");
        agent.DockerOk("run", "-d", "--name", "keeper", "-v", "shared:/t", "volbox:1", "sleep", "600");
        Assert.Contains("4096", agent.DockerOk("run", "--rm", "--volumes-from", "keeper", "volbox:1", "sh", "-c", "echo hi > /t/a; df -k /t"));
        Assert.Equal("hi\n", agent.DockerOk("exec", "keeper", "cat", "/t/a"));
        agent.DockerOk("rm", "-f", "keeper");
        Assert.Equal(0, MountsUnder(agent.Dir)); // the tmpfs volume is unmounted with its last user
    }

    [RequiresRootFact]
    public async Task ImageVolumeGetsAnAnonymousVolumeWithTheImageFilesAndRmVRemovesIt()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        var ctx = Directory.CreateTempSubdirectory("cc-volbuild-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(ctx, "Dockerfile"), """
                FROM volbox:1
                RUN mkdir -p /srv/app && echo seeded > /srv/app/seed.txt && chown 12:34 /srv/app/seed.txt && chmod 640 /srv/app/seed.txt && ln -s seed.txt /srv/app/link && chmod 750 /srv/app
                RUN ln -s /etc /data && ln -s ../../../../.. /up
                VOLUME /srv/app
                """);
            var build = TestEnvironment.Run("/usr/bin/env", "DOCKER_BUILDKIT=0", TestEnvironment.DockerCli, "-H", "unix://" + agent.Socket, "build", "-q", "-t", "withvol:1", ctx);
            Assert.True(build.ExitCode == 0, build.Stdout + build.Stderr);
        }
        finally
        {
            Directory.Delete(ctx, recursive: true);
        }

        var listing = agent.DockerOk("run", "--name", "app", "withvol:1", "sh", "-c", "stat -c '%a %u:%g %N' /srv/app /srv/app/seed.txt /srv/app/link; cat /srv/app/link; echo more > /srv/app/new");
        Assert.Equal(["750 0:0 /srv/app", "640 12:34 /srv/app/seed.txt", "777 0:0 '/srv/app/link' -> 'seed.txt'", "seeded"], Lines(listing));
        var volume = agent.DockerOk("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "app").Trim();
        Assert.Matches("^[0-9a-f]{64}$", volume);
        var data = Path.Combine(agent.Dir, "data", "volumes", volume, "_data");
        Assert.Equal("more\n", File.ReadAllText(Path.Combine(data, "new")));
        // volume contents are not the container's layer: diff shows no /srv/app/new
        Assert.DoesNotContain("/srv/app/new", agent.DockerOk("diff", "app"));

        // --volumes-from shares it; the second container's start does not copy again (the volume is not empty)
        Assert.Equal("more\n", agent.DockerOk("run", "--rm", "--volumes-from", "app:ro", "withvol:1", "cat", "/srv/app/new"));
        agent.DockerOk("rm", "-v", "app");
        Assert.False(Directory.Exists(data));
        Assert.Equal("", agent.DockerOk("volume", "ls", "-q"));

        // --rm removes the anonymous volume too
        agent.DockerOk("run", "--rm", "withvol:1", "true");
        Assert.Equal("", agent.DockerOk("volume", "ls", "-q"));

        // Hostile destinations: /data -> /etc and /up -> ../../../../.. resolve inside the container's root, never on the host.
        var host = Directory.CreateTempSubdirectory("cc-hostile-").FullName;
        try
        {
            agent.DockerOk("run", "--rm", "-v", host + ":/data", "withvol:1", "sh", "-c", "echo inside > /data/marker; cat /etc/marker");
            Assert.True(File.Exists(Path.Combine(host, "marker")));
            Assert.False(File.Exists("/etc/marker"));
            agent.Docker("run", "--rm", "-v", host + ":/up", "withvol:1", "sh", "-c", "echo x > /up/escaped");
            Assert.False(File.Exists("/escaped"));
            agent.DockerOk("run", "--rm", "-v", "hostile:/data", "withvol:1", "true");
            Assert.Contains("passwd", Directory.EnumerateFiles(Path.Combine(agent.Dir, "data", "volumes", "hostile", "_data")).Select(Path.GetFileName));
            Assert.DoesNotContain("shadow", Directory.EnumerateFiles(Path.Combine(agent.Dir, "data", "volumes", "hostile", "_data")).Select(Path.GetFileName)); // the image's /etc, not the host's
        }
        finally
        {
            Directory.Delete(host, recursive: true);
        }
        Assert.Equal(0, MountsUnder(agent.Dir));
    }

    [RequiresRootFact]
    public async Task CopyToAndFromAStoppedContainerReachesItsVolumeNotTheLayer()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        agent.DockerOk("run", "--name", "cpc", "-v", "cpvol:/data", "-v", "rovol:/ro:ro", "volbox:1", "sh", "-c", "echo from-container > /data/in.txt");
        var id = agent.DockerOk("inspect", "-f", "{{.Id}}", "cpc").Trim();
        var volumeData = Path.Combine(agent.Dir, "data", "volumes", "cpvol", "_data");
        var upper = Path.Combine(agent.Dir, "data", "containers", id, "upper");
        var local = Directory.CreateTempSubdirectory("cc-cpvol-").FullName;
        try
        {
            agent.DockerOk("cp", "cpc:/data/in.txt", local);
            Assert.Equal("from-container\n", File.ReadAllText(Path.Combine(local, "in.txt")));
            File.WriteAllText(Path.Combine(local, "put.txt"), "put\n");
            agent.DockerOk("cp", Path.Combine(local, "put.txt"), "cpc:/data/");
            Assert.Equal("put\n", File.ReadAllText(Path.Combine(volumeData, "put.txt")));
            Assert.False(File.Exists(Path.Combine(upper, "data", "put.txt")));
            Assert.NotEqual(0, agent.Docker("cp", Path.Combine(local, "put.txt"), "cpc:/ro/").ExitCode);
            Assert.Equal("", agent.DockerOk("run", "--rm", "-v", "rovol:/r", "volbox:1", "ls", "/r"));
            Assert.DoesNotContain("/data", agent.DockerOk("diff", "cpc").Split('\n').Where(l => l.StartsWith("A /data/", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
        Assert.Equal(0, MountsUnder(agent.Dir));
    }

    [RequiresRootFact]
    public async Task VolumesSurviveAnAgentRestartAndHalfCreatedOnesAreSwept()
    {
        using var agent = await AgentProcess.WithBusyboxImageAsync("volbox:1");
        agent.DockerOk("run", "--rm", "-v", "kept:/k", "volbox:1", "sh", "-c", "echo 1 > /k/f");
        var half = Path.Combine(agent.Dir, "data", "volumes", "half");
        Directory.CreateDirectory(Path.Combine(half, "_data")); // a create that crashed before volume.json
        agent.Crash();
        agent.Start();
        Assert.Equal(["kept"], Lines(agent.DockerOk("volume", "ls", "-q")));
        Assert.False(Directory.Exists(half));
        Assert.Equal("1\n", agent.DockerOk("run", "--rm", "-v", "kept:/k", "volbox:1", "cat", "/k/f"));
    }
}
