using ContainerConsole.Images.Oci;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>One line of <c>docker history</c>: the image id for the step that made an image of ours, else "&lt;missing&gt;".</summary>
public sealed record ImageHistoryItem(string Id, DateTimeOffset? Created, string CreatedBy, IReadOnlyList<string> Tags, long Size, string Comment);

/// <summary>What <c>docker image prune</c> removed.</summary>
public sealed record PruneResult(IReadOnlyList<string> Lines, long SpaceReclaimed);

/// <summary>What a startup sweep removed: leftovers of operations a crash interrupted.</summary>
public sealed record SweepResult(int TempEntries, int OrphanBlobs, int OrphanLayers);

public sealed partial class ImageStore
{
    /// <summary>
    /// <c>docker history</c>, newest step first. Steps that added a layer are matched to the image's diff ids in order;
    /// the top step carries the image id and tags, and so does the last step of each parent image still in the store
    /// (build steps and commits); the rest show &lt;missing&gt;, as docker does for steps it only knows from the config.
    /// </summary>
    public IReadOnlyList<ImageHistoryItem> History(string reference)
    {
        var id = Resolve(reference) ?? throw new ImageNotFoundException(reference);
        var config = ReadConfig(id);
        var diffIds = config.RootFs?.DiffIds ?? [];
        var history = config.History is { Count: > 0 } h
            ? h
            : diffIds.Select(_ => new HistoryEntry { Created = config.Created }).ToList();
        var items = new List<ImageHistoryItem>(history.Count);
        var layer = 0;
        foreach (var entry in history)
        {
            long size = 0;
            if (entry.EmptyLayer != true && layer < diffIds.Count)
            {
                size = Layers.Get(diffIds[layer])?.Size ?? 0;
                layer++;
            }

            items.Add(new ImageHistoryItem("<missing>", Timestamps.Parse(entry.Created), entry.CreatedBy ?? "", [], size, entry.Comment ?? ""));
        }

        items.Reverse();
        // Docker's walk up the parent chain: each ancestor still here names the newest step of its own history.
        for (string? image = id; image is not null && HasImage(image);)
        {
            var index = image == id ? 0 : items.Count - (ReadConfig(image).History?.Count ?? 0);
            if (index >= 0 && index < items.Count)
                items[index] = items[index] with { Id = image, Tags = References.ReferencesTo(image) };
            image = ReadStoredImage(image).Parent;
        }

        return items;
    }

    /// <summary>
    /// <c>docker image prune</c>: removes untagged images (with <paramref name="all"/>, every image) that
    /// <paramref name="inUse"/> does not claim and that pass <paramref name="filter"/>; their blobs and layers go with them
    /// unless another image shares them. SpaceReclaimed counts the unpacked layers and blobs actually deleted.
    /// </summary>
    public async Task<PruneResult> PruneAsync(bool all, Func<string, bool> inUse, Func<ImageRecord, bool> filter, CancellationToken ct)
    {
        await _mutex.WaitAsync(ct);
        try
        {
            var lines = new List<string>();
            long reclaimed = 0;
            // Children first: an image another one was built on goes only once that child has gone, so one prune
            // removes a whole unused build chain, as docker's does.
            for (var removed = true; removed;)
            {
                removed = false;
                var parents = Parents();
                foreach (var id in ImageIds())
                {
                    ct.ThrowIfCancellationRequested();
                    var record = Describe(id);
                    if (inUse(id) || parents.Contains(id) || (!all && record.RepoTags.Count > 0) || !filter(record))
                    {
                        continue;
                    }

                    foreach (var r in record.RepoTags)
                    {
                        References.Untag(r);
                        lines.Add($"Untagged: {r}");
                    }

                    reclaimed += DeleteImage(id);
                    lines.Add($"Deleted: {id}");
                    removed = true;
                }
            }

            return new PruneResult(lines, reclaimed);
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>Bytes of all unpacked layers (docker system df's LayersSize).</summary>
    public long LayersSize() => Layers.List().Sum(d => Layers.Get(d)?.Size ?? 0);

    /// <summary>
    /// Run once at start, before any request: removes temporary files of interrupted loads, commits and downloads, layer
    /// directories that never got their commit marker, and blobs and layers that no image record names (an operation that
    /// crashed between writing blobs and recording the image). Nothing an image uses is touched.
    /// </summary>
    public async Task<SweepResult> SweepAsync(CancellationToken ct)
    {
        await _mutex.WaitAsync(ct);
        try
        {
            var temp = 0;
            foreach (var entry in Directory.EnumerateFileSystemEntries(_tmpDir).ToList())
            {
                temp += DeleteEntry(entry) ? 1 : 0;
            }

            temp += Content.SweepTemporaryFiles() + Layers.SweepUncommitted();
            var (usedBlobs, usedDiffIds) = InUse([]);
            var orphanLayers = 0;
            foreach (var diffId in Layers.List().Where(d => !usedDiffIds.Contains(d)).ToList())
            {
                Layers.Delete(diffId);
                orphanLayers++;
            }

            var orphanBlobs = 0;
            foreach (var blob in Content.List().Where(b => !usedBlobs.Contains(b)).ToList())
            {
                Layers.ForgetBlob(blob);
                Content.Delete(blob);
                orphanBlobs++;
            }

            return new SweepResult(temp, orphanBlobs, orphanLayers);
        }
        finally
        {
            _mutex.Release();
        }
    }

    private static bool DeleteEntry(string path)
    {
        if (Directory.Exists(path))
        {
            FileSync.TryDeleteDirectory(path);
        }
        else
        {
            FileSync.TryDeleteFile(path);
        }

        return !Path.Exists(path);
    }

    /// <summary>
    /// <c>docker import</c>: a flat root filesystem tar (plain, gzip or zstd) becomes a one-layer image with
    /// <paramref name="config"/> as its run config. The tar is checked like any layer (no escapes, no lies about sizes);
    /// on failure nothing is kept. Returns the new image id.
    /// </summary>
    public async Task<string> ImportAsync(Stream tar, ContainerConfig? config, string? repoTag, string? message, CancellationToken ct)
    {
        if (repoTag is not null && !ImageReference.TryParse(repoTag, out _))
        {
            throw new ArgumentException($"invalid reference format: \"{repoTag}\"", nameof(repoTag));
        }

        return await WriteTransactionAsync(async created =>
        {
            var blobs = Content.List().ToHashSet();
            var blob = await Content.WriteAsync(tar, null, ct);
            if (!blobs.Contains(blob.Digest))
            {
                created.Blobs.Add(blob.Digest);
            }

            if (blob.Size == 0)
            {
                throw new ImageFormatException("the archive is empty");
            }

            var (layer, isNew) = await Layers.AddAsync(blob.Digest, () => Content.Open(blob.Digest), null, "imported archive", ct);
            if (isNew)
            {
                created.Layers.Add(layer.DiffId);
            }

            var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var imageConfig = new ImageConfig
            {
                Architecture = HostArchitecture(),
                Os = "linux",
                Created = now,
                Config = config,
                RootFs = new RootFs { DiffIds = [layer.DiffId] },
                History = [new HistoryEntry { Created = now, CreatedBy = "", Comment = string.IsNullOrEmpty(message) ? "Imported from -" : message }],
            };
            var configBytes = OciJson.Serialize(imageConfig, OciJsonContext.Default.ImageConfig);
            var id = Digests.Of(configBytes);
            await PutBytesAsync(configBytes, id, created, ct);
            var manifest = new ImageManifest
            {
                MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = id, Size = configBytes.Length },
                Layers = [new Descriptor { MediaType = SniffLayerMediaType(blob.Digest, docker: false), Digest = blob.Digest, Size = blob.Size }],
            };
            var manifestBytes = OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest);
            var manifestDigest = Digests.Of(manifestBytes);
            await PutBytesAsync(manifestBytes, manifestDigest, created, ct);
            RecordImage(id, manifestDigest, created);
            if (repoTag is not null)
            {
                References.Tag(repoTag, id);
            }

            return id;
        }, ct);
    }
}
