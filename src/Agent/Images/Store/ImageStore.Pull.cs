using System.IO.Pipelines;
using System.Text.Json;
using ContainerConsole.Images.Layers;
using ContainerConsole.Images.Oci;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>What happens to one blob of a pulled image, for progress reports.</summary>
public sealed record BlobEvent(string Digest, string Status);

/// <summary>An image manifest as stored, for pushing.</summary>
public sealed record StoredManifest(string ImageId, string Digest, byte[] Bytes, ImageManifest Manifest, IReadOnlyList<string> DiffIds);

public sealed partial class ImageStore
{
    /// <summary>
    /// Adds an image whose blobs come from <paramref name="openBlob"/> (a registry). Blobs already in the content store
    /// are not fetched, layers already unpacked are neither fetched nor unpacked. Missing layers are fetched up to
    /// <paramref name="parallelism"/> at a time and unpacked while they download (into temporary directories), then
    /// committed in order once each blob is verified against its descriptor. The image record is written last; on any
    /// failure everything this call created is removed.
    /// Returns the image id.
    /// </summary>
    public async Task<string> AddPulledImageAsync(string manifestDigest, byte[] manifestBytes,
        Func<Descriptor, CancellationToken, Task<Stream>> openBlob, IProgress<BlobEvent>? events, int parallelism, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        if (!string.Equals(Digests.Of(manifestBytes), manifestDigest, StringComparison.Ordinal))
        {
            throw new ImageFormatException($"manifest digest mismatch: expected {manifestDigest}, got {Digests.Of(manifestBytes)}");
        }

        var manifest = OciJson.ParseManifest(manifestBytes, $"manifest {manifestDigest}");
        CheckPullable(manifest, manifestDigest);

        await _mutex.WaitAsync(ct);
        var created = new Created();
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var downloads = new Task<PreparedLayer?>?[manifest.Layers.Count];
        try
        {
            var id = manifest.Config.Digest;
            if (!Content.Exists(id))
            {
                await FetchBlobAsync(manifest.Config, openBlob, created, ct);
            }

            var config = ReadConfig(id);
            var diffIds = CheckDiffIdCount(config, manifest.Layers.Count, $"config {id}");
            if (config.Os is { Length: > 0 } os && os != "linux")
            {
                throw new ImageFormatException($"image {id[7..19]} is for {os}, not linux");
            }

            var needed = new bool[manifest.Layers.Count];
            for (var i = 0; i < manifest.Layers.Count; i++)
            {
                needed[i] = !Layers.Exists(diffIds[i]);
                events?.Report(new BlobEvent(manifest.Layers[i].Digest, needed[i] ? "Pulling fs layer" : "Already exists"));
            }

            using var slots = new SemaphoreSlim(parallelism, parallelism);
            for (var i = 0; i < manifest.Layers.Count; i++)
            {
                var layer = manifest.Layers[i];
                if (!needed[i] || Content.Exists(layer.Digest) || manifest.Layers.Take(i).Any(l => l.Digest == layer.Digest))
                {
                    continue;
                }

                if (i >= parallelism)
                {
                    events?.Report(new BlobEvent(layer.Digest, "Waiting"));
                }

                downloads[i] = Task.Run(async () =>
                {
                    await slots.WaitAsync(failFast.Token);
                    try
                    {
                        var prepared = await FetchLayerAsync(layer, openBlob, created, failFast.Token);
                        events?.Report(new BlobEvent(layer.Digest, "Download complete"));
                        return prepared;
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, failFast.Token);
            }

            for (var i = 0; i < manifest.Layers.Count; i++)
            {
                if (!needed[i])
                {
                    continue;
                }

                var layer = manifest.Layers[i];
                // already stored, or a layer listed twice: fetched (and unpacked) by its first occurrence, if at all
                var download = downloads[i] ?? downloads[manifest.Layers.ToList().FindIndex(l => l.Digest == layer.Digest)];
                var prepared = download is null ? null : await download;
                events?.Report(new BlobEvent(layer.Digest, "Extracting"));
                await UnpackAsync(layer.Digest, diffIds[i], $"layer {i} ({layer.Digest})", created, null, ct,
                    prepared is null ? null : Task.FromResult(prepared));
                events?.Report(new BlobEvent(layer.Digest, "Pull complete"));
            }

            await PutBytesAsync(manifestBytes, manifestDigest, created, ct);
            RecordImage(id, manifestDigest, created);
            return id;
        }
        catch
        {
            await failFast.CancelAsync();
            foreach (var d in downloads.Where(d => d is not null))
            {
                try
                {
                    if (await d! is { } prepared)
                    {
                        FileSync.TryDeleteDirectory(prepared.TempDir); // gone already if it was committed
                    }
                }
                catch (Exception)
                {
                    // the first failure is the one reported; the others are its consequence
                }
            }

            Rollback(created);
            throw;
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>True when the image exists (every part of it: records are written last).</summary>
    public bool HasImage(string imageId) => Digests.IsValid(imageId) && File.Exists(RecordPath(imageId));

    /// <summary>
    /// Records that the image is <paramref name="repository"/>@<paramref name="manifestDigest"/> in a registry (docker's
    /// RepoDigests: one per repository, the newest wins) and optionally tags it.
    /// </summary>
    public async Task RecordRegistryReferenceAsync(string imageId, string repository, string manifestDigest, string? tag, CancellationToken ct)
    {
        Digests.Hex(manifestDigest, "manifest digest");
        var repoDigest = ImageReference.Parse($"{repository}@{manifestDigest}");
        await _mutex.WaitAsync(ct);
        try
        {
            var stored = ReadStoredImage(imageId);
            var digests = (stored.RepoDigests ?? []).Where(d => !ImageReference.TryParse(d, out var r) || r.Name != repoDigest.Name).ToList();
            digests.Add($"{repoDigest.Name}@{manifestDigest}");
            digests.Sort(StringComparer.Ordinal);
            var next = new StoredImage { Id = stored.Id, ManifestDigest = stored.ManifestDigest, RepoDigests = digests, Parent = stored.Parent };
            AtomicFile.Write(RecordPath(imageId), JsonSerializer.SerializeToUtf8Bytes(next, StoreJsonContext.Default.StoredImage));
            if (tag is not null)
            {
                References.Tag($"{repoDigest.Name}:{tag}", imageId);
            }
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>The stored manifest of an image, for pushing it.</summary>
    public StoredManifest ReadManifest(string reference)
    {
        var id = Resolve(reference) ?? throw new ImageNotFoundException(reference);
        var digest = ReadStoredImage(id).ManifestDigest;
        var bytes = Content.ReadAllBytes(digest);
        var manifest = OciJson.ParseManifest(bytes, $"manifest {digest}");
        return new StoredManifest(id, digest, bytes, manifest, ReadConfig(id).RootFs?.DiffIds ?? []);
    }

    private static void CheckPullable(ImageManifest manifest, string what)
    {
        Digests.Hex(manifest.Config.Digest, $"manifest {what}: config");
        if (manifest.Config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig))
        {
            throw new ImageFormatException($"manifest {what}: config media type \"{manifest.Config.MediaType}\" is not an image config (an artifact?)");
        }

        if (manifest.Config.Size > MaxJson)
        {
            throw new ImageFormatException($"manifest {what}: config of {manifest.Config.Size} bytes is too large");
        }

        foreach (var (layer, i) in manifest.Layers.Select((l, i) => (l, i)))
        {
            Digests.Hex(layer.Digest, $"manifest {what}: layer {i}");
            if (!MediaTypes.IsLayer(layer.MediaType))
            {
                throw new ImageFormatException($"manifest {what}: layer {i}: unsupported media type \"{layer.MediaType}\"");
            }

            if (layer.Size < 0)
            {
                throw new ImageFormatException($"manifest {what}: layer {i}: negative size");
            }
        }
    }

    /// <summary>
    /// Fetches a layer blob into the content store and unpacks it as it arrives (one pass: no re-read of the blob).
    /// Returns the unpacked layer, not yet committed, or null when the unpack failed: the commit then unpacks the stored
    /// blob again, which reports the error as a load would.
    /// </summary>
    private async Task<PreparedLayer?> FetchLayerAsync(Descriptor blob, Func<Descriptor, CancellationToken, Task<Stream>> openBlob, Created created,
        CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, minimumSegmentSize: 128 << 10,
            useSynchronizationContext: false));
        var unpacking = Task.Run(async () =>
        {
            try
            {
                // The blob is verified against blob.Digest before the copy ends, so that is the digest of what was read.
                return await Layers.PrepareAsync(pipe.Reader.AsStream(leaveOpen: true), () => blob.Digest, ct);
            }
            finally
            {
                await pipe.Reader.CompleteAsync();
            }
        }, CancellationToken.None);
        try
        {
            await FetchBlobAsync(blob, (d, token) => WrapAsync(openBlob(d, token)), created, ct);
            await pipe.Writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e);
            try
            {
                FileSync.TryDeleteDirectory((await unpacking).TempDir);
            }
            catch (Exception)
            {
                // the unpack failed too; it left nothing
            }

            throw;
        }

        try
        {
            return await unpacking;
        }
        catch (Exception)
        {
            return null;
        }

        async Task<Stream> WrapAsync(Task<Stream> opening) => new TeeStream(await opening, pipe.Writer);
    }

    private async Task FetchBlobAsync(Descriptor blob, Func<Descriptor, CancellationToken, Task<Stream>> openBlob, Created created, CancellationToken ct)
    {
        await using var data = await openBlob(blob, ct);
        try
        {
            await Content.WriteAsync(data, blob.Digest, ct, blob.Size);
        }
        catch (ImageFormatException e)
        {
            throw new ImageFormatException($"blob {blob.Digest}: {e.Message}");
        }

        lock (created)
        {
            created.Blobs.Add(blob.Digest);
        }
    }
}
