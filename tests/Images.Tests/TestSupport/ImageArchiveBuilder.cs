using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ContainerConsole.Images.Tests.TestSupport;

/// <summary>A layer for a test image: its blob bytes (plain or gzip) and diff id.</summary>
public sealed record TestLayer(byte[] Blob, string DiffId)
{
    public string Digest => Sha(Blob);
    public string Hex => Digest[7..];

    public static TestLayer Create(bool gzip, params (string Name, string Content)[] files)
    {
        var tar = new MemoryStream();
        using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    ModificationTime = DateTimeOffset.UnixEpoch,
                });
            }
        }

        var plain = tar.ToArray();
        var blob = plain;
        if (gzip)
        {
            var gz = new MemoryStream();
            using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            {
                z.Write(plain);
            }

            blob = gz.ToArray();
        }

        return new TestLayer(blob, Sha(plain));
    }

    public static string Sha(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>Builds docker-save and OCI-layout archives in memory.</summary>
public static class ImageArchiveBuilder
{
    public static byte[] Config(IEnumerable<string> diffIds, string cmd = "sh") =>
        Encoding.UTF8.GetBytes($$$"""
        {"architecture":"amd64","os":"linux","created":"2024-05-01T12:34:56.123456789Z",
         "config":{"Env":["PATH=/bin"],"Cmd":["{{{cmd}}}"],"WorkingDir":"/","ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"}},
         "rootfs":{"type":"layers","diff_ids":[{{{string.Join(",", diffIds.Select(d => $"\"{d}\""))}}}]},
         "history":[{"created":"2024-05-01T12:34:56Z","created_by":"test"}]}
        """);

    /// <summary>One image of a docker-save archive. Null layerNames → blobs/sha256/&lt;hex&gt;.</summary>
    public sealed record DockerImage(byte[] Config, TestLayer[] Layers, string[] RepoTags, string? ConfigName = null, string[]? LayerNames = null);

    public static byte[] DockerSave(params DockerImage[] images) => DockerSave(images, skipLayer: null);

    public static byte[] DockerSave(DockerImage[] images, string? skipLayer)
    {
        var files = new Dictionary<string, byte[]>();
        var manifest = new StringBuilder("[");
        foreach (var (image, i) in images.Select((m, i) => (m, i)))
        {
            var configName = image.ConfigName ?? $"blobs/sha256/{TestLayer.Sha(image.Config)[7..]}";
            files[configName] = image.Config;
            var names = image.LayerNames ?? image.Layers.Select(l => $"blobs/sha256/{l.Hex}").ToArray();
            for (var j = 0; j < image.Layers.Length; j++)
            {
                if (names[j] != skipLayer)
                {
                    files[names[j]] = image.Layers[j].Blob;
                }
            }

            manifest.Append(i > 0 ? "," : "").Append($$"""{"Config":"{{configName}}","RepoTags":[{{string.Join(",", image.RepoTags.Select(t => $"\"{t}\""))}}],"Layers":[{{string.Join(",", names.Select(n => $"\"{n}\""))}}]}""");
        }

        files["manifest.json"] = Encoding.UTF8.GetBytes(manifest.Append(']').ToString());
        return Tar(files);
    }

    /// <summary>An OCI image layout archive with one manifest per image, annotated with refName.</summary>
    public static byte[] OciLayout(params (byte[] Config, TestLayer[] Layers, string? RefName)[] images)
    {
        var files = new Dictionary<string, byte[]> { ["oci-layout"] = """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray() };
        var index = new List<string>();
        foreach (var (config, layers, refName) in images)
        {
            files[$"blobs/sha256/{TestLayer.Sha(config)[7..]}"] = config;
            foreach (var l in layers)
            {
                files[$"blobs/sha256/{l.Hex}"] = l.Blob;
            }

            var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{TestLayer.Sha(config)}}","size":{{config.Length}}},
             "layers":[{{string.Join(",", layers.Select(l => $$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar{{(l.Blob[0] == 0x1f ? "+gzip" : "")}}","digest":"{{l.Digest}}","size":{{l.Blob.Length}}}"""))}}]}
            """);
            files[$"blobs/sha256/{TestLayer.Sha(manifest)[7..]}"] = manifest;
            var annotations = refName is null ? "" : $$""","annotations":{"org.opencontainers.image.ref.name":"{{refName}}"}""";
            index.Add($$"""{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{TestLayer.Sha(manifest)}}","size":{{manifest.Length}}{{annotations}}}""");
        }

        files["index.json"] = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"manifests":[{{string.Join(",", index)}}]}""");
        return Tar(files);
    }

    public static byte[] Tar(IReadOnlyDictionary<string, byte[]> files)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in files)
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }

        return ms.ToArray();
    }

    public static Dictionary<string, byte[]> Untar(byte[] archive)
    {
        var files = new Dictionary<string, byte[]>();
        using var r = new TarReader(new MemoryStream(archive));
        while (r.GetNextEntry() is { } e)
        {
            var ms = new MemoryStream();
            e.DataStream?.CopyTo(ms);
            files[e.Name] = ms.ToArray();
        }

        return files;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cc-images-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
