using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContainerConsole.Integration.Tests;

/// <summary>Pull, push and login against Debian's docker-registry (distribution v2.8), and interop with skopeo.</summary>
public sealed class RegistryTests
{
    private const string Anonymous = "e30="; // base64 "{}", what the docker CLI sends without credentials

    // ---- helpers ----

    private static async Task LoadAsync(AgentProcess agent, string tag, string motd)
    {
        var archive = ImageArchive.DockerSave(tag, ImageArchive.BusyboxLayer(("etc/motd", motd)), new
        {
            Env = new[] { "PATH=/bin" },
            Cmd = new[] { "cat", "/etc/motd" },
        });
        var content = new ByteArrayContent(archive);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        var r = await agent.Http.PostAsync("images/load", content);
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(AgentProcess agent, string path, string? auth = Anonymous)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (auth is not null)
            request.Headers.Add("X-Registry-Auth", auth);
        using var response = await agent.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> PushAsync(AgentProcess agent, string repo, string tag, string? auth = Anonymous)
    {
        var (status, body) = await PostAsync(agent, $"images/{repo}/push?tag={tag}", auth);
        Assert.True(status == HttpStatusCode.OK && !body.Contains("errorDetail", StringComparison.Ordinal), $"{status}: {body}");
        var aux = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.TryGetProperty("aux", out _)).GetProperty("aux");
        Assert.Equal(tag, aux.GetProperty("Tag").GetString());
        return aux.GetProperty("Digest").GetString()!;
    }

    private static async Task<string> PullAsync(AgentProcess agent, string image, string tag, string? auth = Anonymous)
    {
        var (status, body) = await PostAsync(agent, $"images/create?fromImage={Uri.EscapeDataString(image)}&tag={tag}", auth);
        Assert.True(status == HttpStatusCode.OK && !body.Contains("errorDetail", StringComparison.Ordinal), $"{status}: {body}");
        return body;
    }

    private static async Task<string> RunAsync(AgentProcess agent, string image)
    {
        var id = await agent.CreateAsync(new { Image = image });
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        var text = string.Concat((await agent.LogsAsync(id)).Select(f => f.Text));
        Assert.Equal(HttpStatusCode.NoContent, (await agent.Http.DeleteAsync($"containers/{id}")).StatusCode);
        return text;
    }

    private static async Task<JsonElement> InspectImageAsync(AgentProcess agent, string image)
    {
        using var doc = JsonDocument.Parse(await agent.Http.GetStringAsync($"images/{image}/json"));
        return doc.RootElement.Clone();
    }

    private static async Task RemoveImageAsync(AgentProcess agent, string image)
    {
        var r = await agent.Http.DeleteAsync($"images/{image}");
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.GetAsync($"images/{image}/json")).StatusCode);
    }

    private static string AuthHeader(string user, string password, string server) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new { username = user, password, serveraddress = server }))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static TestEnvironment.Result Skopeo(params string[] args)
    {
        var r = TestEnvironment.RunWithInput("/usr/bin/skopeo", null, TimeSpan.FromSeconds(120), args);
        Assert.True(r.ExitCode == 0, $"skopeo {string.Join(' ', args)}: {r.Stderr}");
        return r;
    }

    private static string Sha(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    // ---- tests ----

    [RequiresRootFact]
    public async Task PushedImageIsPulledBackWithItsDigestAndRuns()
    {
        using var registry = new RegistryProcess();
        using var agent = new AgentProcess();
        var repo = $"{registry.Host}/test/box";
        await LoadAsync(agent, $"{repo}:1", "pushed and pulled\n");
        var digest = await PushAsync(agent, repo, "1");
        Assert.Contains($"{repo}@{digest}", (await InspectImageAsync(agent, $"{repo}:1")).GetProperty("RepoDigests").EnumerateArray().Select(e => e.GetString()));

        await RemoveImageAsync(agent, $"{repo}:1");
        var pull = await PullAsync(agent, repo, "1");
        Assert.Contains("Pull complete", pull);
        Assert.Contains($"Digest: {digest}", pull);
        Assert.Contains($"Status: Downloaded newer image for {repo}:1", pull);
        var inspect = await InspectImageAsync(agent, $"{repo}:1");
        Assert.Equal($"{repo}@{digest}", inspect.GetProperty("RepoDigests")[0].GetString());
        using (var list = JsonDocument.Parse(await agent.Http.GetStringAsync("images/json")))
            Assert.Equal($"{repo}@{digest}", list.RootElement[0].GetProperty("RepoDigests")[0].GetString());
        Assert.Equal("pushed and pulled\n", await RunAsync(agent, $"{repo}:1"));

        Assert.Contains("Image is up to date", await PullAsync(agent, repo, "1"));
        await PullAsync(agent, repo, digest); // by digest, verified

        var (status, body) = await PostAsync(agent, $"images/create?fromImage={repo}&tag=nope");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains($"manifest for {repo}:nope not found: manifest unknown", body);
        (status, body) = await PostAsync(agent, $"images/create?fromImage={registry.Host}/no/such&tag=1");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("not found", body);
        (status, body) = await PostAsync(agent, "images/create?fromSrc=-");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("import: the archive is empty", body);
    }

    [RequiresRootFact]
    public async Task BuildPullsABaseImageItDoesNotHave()
    {
        using var registry = new RegistryProcess();
        using var agent = new AgentProcess();
        var repo = $"{registry.Host}/base/box";
        await LoadAsync(agent, $"{repo}:1", "base from the registry\n");
        await PushAsync(agent, repo, "1");
        await RemoveImageAsync(agent, $"{repo}:1");
        var context = Path.Combine(agent.Dir, "ctx");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {repo}:1\nRUN cp /etc/motd /copied\n");

        var build = TestEnvironment.RunWithEnvironment("docker", null, TimeSpan.FromSeconds(120), new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" },
            "-H", $"unix://{agent.Socket}", "build", "-t", "built-on-pulled:1", context);
        Assert.True(build.ExitCode == 0, build.Stdout + build.Stderr);
        Assert.Contains("Pull complete", build.Stdout);
        var id = await agent.CreateAsync(new { Image = "built-on-pulled:1", Cmd = new[] { "cat", "/copied" } });
        await agent.PostAsync($"containers/{id}/start");
        await agent.PostAsync($"containers/{id}/wait");
        Assert.Equal("base from the registry\n", string.Concat((await agent.LogsAsync(id)).Select(f => f.Text)));

        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM {registry.Host}/no/such:1\n");
        var missing = TestEnvironment.Run("docker", "-H", $"unix://{agent.Socket}", "build", context);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("pull access denied for " + registry.Host + "/no/such:1", missing.Stdout + missing.Stderr);
    }

    [RequiresRootFact]
    public async Task SkopeoPullsWhatWePushed()
    {
        using var registry = new RegistryProcess();
        using var agent = new AgentProcess();
        var repo = $"{registry.Host}/interop/ours";
        await LoadAsync(agent, $"{repo}:1", "ours\n");
        var digest = await PushAsync(agent, repo, "1");
        var layerDigest = (await InspectImageAsync(agent, $"{repo}:1")).GetProperty("RootFS").GetProperty("Layers")[0].GetString()!; // uncompressed: blob = diff id

        var dir = Path.Combine(Path.GetTempPath(), "cc-skopeo-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // dir: keeps blobs and the manifest exactly as the registry serves them
            Skopeo("copy", "--src-tls-verify=false", $"docker://{repo}:1", $"dir:{dir}");
            var blob = Path.Combine(dir, layerDigest[7..]);
            Assert.True(File.Exists(blob), "skopeo did not copy our layer");
            Assert.Equal(layerDigest, Sha(File.ReadAllBytes(blob)));
            Assert.Equal(digest, Sha(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))));
            var oci = Path.Combine(dir, "oci");
            Skopeo("copy", "--src-tls-verify=false", $"docker://{repo}:1", $"oci:{oci}:ours"); // converted to OCI and verified by skopeo
            Assert.True(File.Exists(Path.Combine(oci, "index.json")));
            using var inspect = JsonDocument.Parse(Skopeo("inspect", "--tls-verify=false", $"docker://{repo}:1").Stdout);
            Assert.Equal(digest, inspect.RootElement.GetProperty("Digest").GetString());
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
        }
    }

    [RequiresRootFact]
    public async Task WePullAndRunWhatSkopeoPushedIncludingAMultiPlatformIndex()
    {
        using var registry = new RegistryProcess();
        using var agent = new AgentProcess();
        var dir = Path.Combine(Path.GetTempPath(), "cc-oci-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            OciLayout.Write(dir, "single", [OciLayout.Image("amd64", "from skopeo\n")]);
            Skopeo("copy", "--dest-tls-verify=false", $"oci:{dir}:single", $"docker://{registry.Host}/skopeo/box:1");
            await PullAsync(agent, $"{registry.Host}/skopeo/box", "1");
            Assert.Equal("from skopeo\n", await RunAsync(agent, $"{registry.Host}/skopeo/box:1"));

            var multi = Path.Combine(dir, "multi");
            OciLayout.Write(multi, "multi", [OciLayout.Image("arm64", "arm64 image\n"), OciLayout.Image("amd64", "amd64 image\n"), OciLayout.Image("s390x", "s390x image\n")]);
            Skopeo("copy", "--all", "--dest-tls-verify=false", $"oci:{multi}:multi", $"docker://{registry.Host}/skopeo/multi:1");
            var raw = Skopeo("inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/skopeo/multi:1").Stdout;
            Assert.Contains("\"manifests\"", raw);
            await PullAsync(agent, $"{registry.Host}/skopeo/multi", "1");
            var inspect = await InspectImageAsync(agent, $"{registry.Host}/skopeo/multi:1");
            Assert.Equal("amd64", inspect.GetProperty("Architecture").GetString());
            Assert.Equal($"{registry.Host}/skopeo/multi@{Sha(Encoding.UTF8.GetBytes(raw))}", inspect.GetProperty("RepoDigests")[0].GetString());
            Assert.Equal("amd64 image\n", await RunAsync(agent, $"{registry.Host}/skopeo/multi:1"));
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
        }
    }

    [RequiresRootFact]
    public async Task HtpasswdRegistryNeedsLoginAndRefusesWrongPasswords()
    {
        using var registry = new RegistryProcess(htpasswd: ("alice", "s3cret"));
        using var agent = new AgentProcess();
        var repo = $"{registry.Host}/private/box";
        await LoadAsync(agent, $"{repo}:1", "private\n");

        var (status, body) = await PostAsync(agent, $"images/{repo}/push?tag=1");
        Assert.Contains("authentication required", body);
        Assert.Contains("docker login", body);

        var bad = await agent.Http.PostAsJsonAsync("auth", new { username = "alice", password = "wrong", serveraddress = registry.Host });
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("incorrect username or password", await bad.Content.ReadAsStringAsync());

        var good = await agent.Http.PostAsJsonAsync("auth", new { username = "alice", password = "s3cret", serveraddress = $"http://{registry.Host}/v2/" });
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        using (var doc = JsonDocument.Parse(await good.Content.ReadAsStringAsync()))
            Assert.Equal("Login Succeeded", doc.RootElement.GetProperty("Status").GetString());
        var credFile = Path.Combine(agent.Dir, "data", "registry-auth.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credFile));

        var digest = await PushAsync(agent, repo, "1"); // stored credentials, no X-Registry-Auth
        await RemoveImageAsync(agent, $"{repo}:1");
        Assert.Contains($"Digest: {digest}", await PullAsync(agent, repo, "1", auth: null));
        Assert.Equal("private\n", await RunAsync(agent, $"{repo}:1"));

        Assert.Equal(HttpStatusCode.OK, (await agent.Http.DeleteAsync($"containerconsole/auth/{registry.Host}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.Http.DeleteAsync($"containerconsole/auth/{registry.Host}")).StatusCode);
        await RemoveImageAsync(agent, $"{repo}:1");
        (status, body) = await PostAsync(agent, $"images/create?fromImage={repo}&tag=1");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("authentication required", body);

        // credentials in the request win over the (now empty) store
        await PullAsync(agent, repo, "1", AuthHeader("alice", "s3cret", registry.Host));
        (status, body) = await PostAsync(agent, $"images/{repo}/push?tag=1", AuthHeader("alice", "nope", registry.Host));
        Assert.Contains("access denied", body);
    }

    [RequiresRootFact]
    public async Task TlsRegistryIsTrustedThroughItsCaInTheCertsDir()
    {
        // A non-loopback address so certificate checks apply: the peer end of a namespace this test makes.
        using var netns = new TestNetns();
        using var certs = new TestCertificates(netns.PeerAddress);
        using var registry = new RegistryProcess(tls: (certs.ServerCert, certs.ServerKey), netns: netns);
        var certsDir = Path.Combine(certs.Dir, "certs.d");
        using var agent = new AgentProcess("--registry-certs-dir", certsDir);
        var repo = $"{registry.Host}/tls/box";
        await LoadAsync(agent, $"{repo}:1", "over tls\n");

        var (_, body) = await PostAsync(agent, $"images/{repo}/push?tag=1");
        Assert.Contains("not reachable", body); // unknown CA: refused
        Directory.CreateDirectory(Path.Combine(certsDir, registry.Host));
        File.Copy(certs.CaCert, Path.Combine(certsDir, registry.Host, "ca.crt"));

        var digest = await PushAsync(agent, repo, "1");
        await RemoveImageAsync(agent, $"{repo}:1");
        Assert.Contains($"Digest: {digest}", await PullAsync(agent, repo, "1"));
        Assert.Equal("over tls\n", await RunAsync(agent, $"{repo}:1"));

        // Loopback registries are insecure by default (as in dockerd): https without verification works.
        using var loopCerts = new TestCertificates("127.0.0.1");
        using var loop = new RegistryProcess(tls: (loopCerts.ServerCert, loopCerts.ServerKey));
        await agent.Http.PostAsync($"images/{repo}:1/tag?repo={loop.Host}/tls/box&tag=1", null);
        await PushAsync(agent, $"{loop.Host}/tls/box", "1");
    }

    [RequiresRootFact]
    public async Task DockerCliLogsInPushesAndPulls()
    {
        using var registry = new RegistryProcess(htpasswd: ("bob", "pw-bob"));
        using var agent = new AgentProcess();
        var repo = $"{registry.Host}/cli/box";
        await LoadAsync(agent, $"{repo}:1", "cli\n");
        var config = Path.Combine(agent.Dir, "docker-config");
        Directory.CreateDirectory(config);
        TestEnvironment.Result Docker(string? input, params string[] args) =>
            TestEnvironment.RunWithEnvironment("docker", input, TimeSpan.FromSeconds(120), new Dictionary<string, string> { ["DOCKER_CONFIG"] = config },
                ["-H", $"unix://{agent.Socket}", .. args]);

        var wrong = Docker("nope\n", "login", "-u", "bob", "--password-stdin", registry.Host);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("incorrect username or password", wrong.Stderr);
        var login = Docker("pw-bob\n", "login", "-u", "bob", "--password-stdin", registry.Host);
        Assert.True(login.ExitCode == 0, login.Stderr);
        Assert.Contains("Login Succeeded", login.Stdout);

        var push = Docker(null, "push", $"{repo}:1");
        Assert.True(push.ExitCode == 0, push.Stderr + push.Stdout);
        Assert.Contains("1: digest: sha256:", push.Stdout);
        Assert.Equal(0, Docker(null, "rmi", $"{repo}:1").ExitCode);
        var pull = Docker(null, "pull", $"{repo}:1");
        Assert.True(pull.ExitCode == 0, pull.Stderr + pull.Stdout);
        Assert.Contains($"Status: Downloaded newer image for {repo}:1", pull.Stdout);
        Assert.Equal("cli\n", await RunAsync(agent, $"{repo}:1"));
    }

    /// <summary>OCI image layouts for skopeo to push: gzip busybox layers, one image or an index of several platforms.</summary>
    private static class OciLayout
    {
        public sealed record Blob(byte[] Bytes, string MediaType);

        public sealed record TestImage(string Architecture, Blob Config, Blob Layer, Blob Manifest);

        public static TestImage Image(string arch, string motd)
        {
            var plain = ImageArchive.BusyboxLayer(("etc/motd", motd));
            var gz = new MemoryStream();
            using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
                z.Write(plain);
            var layer = new Blob(gz.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip");
            var config = new Blob(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["architecture"] = arch,
                ["os"] = "linux",
                ["created"] = "2026-11-29T00:00:00Z",
                ["config"] = new { Env = new[] { "PATH=/bin" }, Cmd = new[] { "cat", "/etc/motd" } },
                ["rootfs"] = new { type = "layers", diff_ids = new[] { Sha(plain) } },
            }), "application/vnd.oci.image.config.v1+json");
            var manifest = new Blob(JsonSerializer.SerializeToUtf8Bytes(new
            {
                schemaVersion = 2,
                mediaType = "application/vnd.oci.image.manifest.v1+json",
                config = Descriptor(config),
                layers = new[] { Descriptor(layer) },
            }), "application/vnd.oci.image.manifest.v1+json");
            return new TestImage(arch, config, layer, manifest);
        }

        private static object Descriptor(Blob b) => new { mediaType = b.MediaType, digest = Sha(b.Bytes), size = b.Bytes.Length };

        public static void Write(string dir, string refName, IReadOnlyList<TestImage> images)
        {
            var blobs = Path.Combine(dir, "blobs", "sha256");
            Directory.CreateDirectory(blobs);
            void Put(Blob b) => File.WriteAllBytes(Path.Combine(blobs, Sha(b.Bytes)[7..]), b.Bytes);
            foreach (var i in images)
            {
                Put(i.Config);
                Put(i.Layer);
                Put(i.Manifest);
            }
            Blob top;
            if (images.Count == 1)
            {
                top = images[0].Manifest;
            }
            else
            {
                top = new Blob(JsonSerializer.SerializeToUtf8Bytes(new
                {
                    schemaVersion = 2,
                    mediaType = "application/vnd.oci.image.index.v1+json",
                    manifests = images.Select(i => new
                    {
                        mediaType = i.Manifest.MediaType, digest = Sha(i.Manifest.Bytes), size = i.Manifest.Bytes.Length,
                        platform = new { architecture = i.Architecture, os = "linux" },
                    }),
                }), "application/vnd.oci.image.index.v1+json");
                Put(top);
            }
            File.WriteAllText(Path.Combine(dir, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            File.WriteAllBytes(Path.Combine(dir, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new
            {
                schemaVersion = 2,
                manifests = new[]
                {
                    new
                    {
                        mediaType = top.MediaType, digest = Sha(top.Bytes), size = top.Bytes.Length,
                        annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = refName },
                    },
                },
            }));
        }
    }
}
