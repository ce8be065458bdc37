using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContainerConsole.Tests;

/// <summary>`docker save`-format archives made by the tests from Debian's busybox-static. Shared by the test projects as a linked source file.</summary>
public static class ImageArchive
{
    public static byte[] BusyboxLayer(params (string Path, string Content)[] extraFiles)
    {
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var dir in new[] { "bin/", "etc/", "tmp/", "root/" })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)Convert.ToInt32(dir == "tmp/" ? "1777" : "755", 8) });
            tar.WriteEntry("/bin/busybox", "bin/busybox");
            foreach (var applet in new[] { "sh", "echo", "id", "pwd", "sleep", "cat", "ls", "whoami", "rm", "mkdir", "true", "false", "stat", "ps", "touch", "hostname", "seq", "timeout" })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, $"bin/{applet}") { LinkName = "busybox" });
            foreach (var (path, content) in new[] { ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"), ("etc/group", "root:x:0:\nnogroup:x:65534:\n") }.Concat(extraFiles))
            {
                var e = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)Convert.ToInt32("644", 8) };
                tar.WriteEntry(e);
            }
        }
        return ms.ToArray();
    }

    public static byte[] DockerSave(string repoTag, byte[] layer, object containerConfig) => DockerSave(repoTag, [layer], containerConfig);

    /// <summary>A `docker save` archive of one image made of <paramref name="layers"/> (bottom first).</summary>
    public static byte[] DockerSave(string repoTag, IReadOnlyList<byte[]> layers, object containerConfig)
    {
        var layerHexes = layers.Select(l => Convert.ToHexStringLower(SHA256.HashData(l))).ToArray();
        var config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["created"] = "2026-11-29T00:00:00Z",
            ["config"] = containerConfig,
            ["rootfs"] = new { type = "layers", diff_ids = layerHexes.Select(h => $"sha256:{h}").ToArray() },
            ["history"] = layerHexes.Select(_ => new { created = "2026-11-29T00:00:00Z", created_by = "test" }).ToArray(),
        });
        var configHex = Convert.ToHexStringLower(SHA256.HashData(config));
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new[] { new { Config = $"{configHex}.json", RepoTags = new[] { repoTag }, Layers = layerHexes.Select(h => $"{h}/layer.tar").ToArray() } });
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            void File(string name, byte[] data) =>
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)Convert.ToInt32("644", 8) });
            File($"{configHex}.json", config);
            for (var i = 0; i < layers.Count; i++)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, $"{layerHexes[i]}/"));
                File($"{layerHexes[i]}/layer.tar", layers[i]);
            }
            File("manifest.json", manifest);
        }
        return ms.ToArray();
    }
}
