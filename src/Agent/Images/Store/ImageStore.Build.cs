using System.Globalization;
using ContainerConsole.Images.Oci;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>
/// What the Dockerfile builder stores: one image per step (a child of the previous step's image, with or without a
/// new layer) and the layer cache mapping a step's cache key to the image it produced. Cached step images stay as
/// untagged images, as with Docker's classic builder; the cache lives in &lt;root&gt;/buildcache/&lt;key hex&gt;,
/// one atomically written file per key, and an entry whose image was deleted is a miss.
/// </summary>
public sealed partial class ImageStore
{
    private string CacheDir => Path.Combine(Root, "buildcache");

    /// <summary>
    /// Stores a build step's image: <paramref name="parentId"/> (null: scratch) with <paramref name="config"/> as its
    /// run config, plus a layer made from <paramref name="layerDir"/> (an overlay upper directory or a directory
    /// written by COPY) when given; a config-only step gets an empty_layer history entry. With a
    /// <paramref name="cacheKey"/> the result is recorded in the layer cache. Returns the image id.
    /// </summary>
    public async Task<string> AddBuildStepAsync(string? parentId, ContainerConfig config, string? layerDir, string createdBy,
        string? author, string? cacheKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(createdBy);
        return await WriteTransactionAsync(async created =>
        {
            var history = new HistoryEntry { Created = Now(), CreatedBy = createdBy, EmptyLayer = layerDir is null ? true : null, Author = author };
            var id = await CreateChildImageAsync(parentId, layerDir, config, history, author, created, ct);
            if (cacheKey is not null)
            {
                Directory.CreateDirectory(CacheDir);
                AtomicFile.Write(Path.Combine(CacheDir, Digests.Hex(cacheKey, "cache key")), System.Text.Encoding.ASCII.GetBytes(id));
            }

            return id;
        }, ct);
    }

    /// <summary>The image a cached step produced, or null when there is none (or it was deleted since).</summary>
    public string? FindCachedStep(string cacheKey)
    {
        var path = Path.Combine(CacheDir, Digests.Hex(cacheKey, "cache key"));
        if (!File.Exists(path))
        {
            return null;
        }

        var id = File.ReadAllText(path).Trim();
        return Digests.IsValid(id) && File.Exists(RecordPath(id)) && Content.Exists(id) ? id : null;
    }

    /// <summary>
    /// POST /build/prune: forgets cache entries whose image is gone, or with <paramref name="all"/> every entry (the next
    /// build runs each step again). The step images themselves are images, removed by image prune. Returns the keys.
    /// </summary>
    public async Task<IReadOnlyList<string>> PruneBuildCacheAsync(bool all, CancellationToken ct)
    {
        await _mutex.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(CacheDir))
            {
                return [];
            }

            var removed = new List<string>();
            foreach (var path in Directory.EnumerateFiles(CacheDir).Where(p => Digests.IsValid("sha256:" + Path.GetFileName(p))))
            {
                var key = "sha256:" + Path.GetFileName(path);
                if (all || FindCachedStep(key) is null)
                {
                    File.Delete(path);
                    removed.Add(key);
                }
            }

            return removed;
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The image config of a stored image (by id or name).</summary>
    public ImageConfig ConfigOf(string reference) => ReadConfig(Resolve(reference) ?? throw new ImageNotFoundException(reference));

    /// <summary>
    /// The shared core of commit and build: parent (or scratch) + optional layer from a directory + config + history.
    /// The caller holds the mutex and rolls back <paramref name="created"/> on failure.
    /// </summary>
    private async Task<string> CreateChildImageAsync(string? parentReference, string? layerDir, ContainerConfig config, HistoryEntry history,
        string? author, Created created, CancellationToken ct, IReadOnlySet<string>? exclude = null)
    {
        ImageConfig? parent = null;
        ImageManifest? parentManifest = null;
        string? parentId = null;
        if (parentReference is not null)
        {
            parentId = Resolve(parentReference) ?? throw new ImageNotFoundException(parentReference);
            parent = ReadConfig(parentId);
            var manifestDigest = ReadStoredImage(parentId).ManifestDigest;
            parentManifest = OciJson.ParseManifest(Content.ReadAllBytes(manifestDigest), $"manifest {manifestDigest}");
        }

        var docker = parentManifest?.MediaType == MediaTypes.DockerManifest;
        var layers = new List<Descriptor>(parentManifest?.Layers ?? []);
        var diffIds = new List<string>(parent?.RootFs?.DiffIds ?? []);
        if (layerDir is not null)
        {
            var diffId = await StoreLayerFromDirectoryAsync(layerDir, created, ct, exclude);
            diffIds.Add(diffId);
            layers.Add(new Descriptor { MediaType = docker ? MediaTypes.DockerLayer : MediaTypes.OciLayer, Digest = diffId, Size = Content.SizeOf(diffId) });
        }

        var imageConfig = (parent ?? new ImageConfig { Architecture = HostArchitecture(), Os = "linux" }) with
        {
            Created = history.Created,
            Author = author,
            Config = config,
            RootFs = new RootFs { DiffIds = diffIds },
            History = [.. parent?.History ?? [], history],
        };
        var configBytes = OciJson.Serialize(imageConfig, OciJsonContext.Default.ImageConfig);
        var id = Digests.Of(configBytes);
        await PutBytesAsync(configBytes, id, created, ct);

        var manifest = new ImageManifest
        {
            MediaType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig, Digest = id, Size = configBytes.Length },
            Layers = layers,
        };
        var manifestBytes = OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest);
        var newManifestDigest = Digests.Of(manifestBytes);
        await PutBytesAsync(manifestBytes, newManifestDigest, created, ct);
        RecordImage(id, newManifestDigest, created, parentId);
        return id;
    }

    /// <summary>Writes <paramref name="dir"/> as an uncompressed layer blob (whiteouts included) and unpacks it into the layer store.</summary>
    private async Task<string> StoreLayerFromDirectoryAsync(string dir, Created created, CancellationToken ct, IReadOnlySet<string>? exclude = null)
    {
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"layer directory {dir} does not exist");
        }

        var tarPath = Path.Combine(_tmpDir, $"layer-{Guid.NewGuid():N}.tar");
        try
        {
            string diffId;
            await using (var tar = new FileStream(tarPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                diffId = await ContainerConsole.Images.Layers.LayerDiff.WriteLayerTarAsync(dir, tar, ct, exclude);
            }

            var existed = Content.Exists(diffId);
            await using (var tar = File.OpenRead(tarPath))
            {
                await Content.WriteAsync(tar, diffId, ct);
            }

            if (!existed)
            {
                created.Blobs.Add(diffId);
            }

            await UnpackAsync(diffId, diffId, "new layer", created, null, ct);
            return diffId;
        }
        finally
        {
            FileSync.TryDeleteFile(tarPath);
        }
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
