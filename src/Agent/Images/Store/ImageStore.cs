using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Images.Archives;
using ContainerConsole.Images.Oci;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>What <c>image inspect</c> shows.</summary>
public sealed record ImageRecord(
    string Id,
    IReadOnlyList<string> RepoTags,
    DateTimeOffset? Created,
    long Size,
    string ManifestDigest,
    IReadOnlyList<string> DiffIds,
    ImageConfig Config)
{
    /// <summary>repository@sha256:&lt;manifest digest&gt; for each registry repository the image was pulled from or pushed to.</summary>
    public IReadOnlyList<string> RepoDigests { get; init; } = [];

    /// <summary>The image a build step or commit made this one from, or null (loaded, pulled, imported).</summary>
    public string? Parent { get; init; }
}

public sealed class ImageNotFoundException(string reference) : Exception($"No such image: {reference}")
{
    public string Reference { get; } = reference;
}

/// <summary>
/// Images on disk: blobs (<see cref="ContentStore"/>), unpacked layers (<see cref="LayerStore"/>), one record per image
/// (&lt;root&gt;/images/&lt;config hex&gt;.json naming its manifest blob) and references (<see cref="ReferenceStore"/>).
/// </summary>
public sealed partial class ImageStore
{
    private const long MaxJson = 16 << 20;
    private readonly SemaphoreSlim _mutex = new(1, 1);
    private readonly string _imagesDir;
    private readonly string _tmpDir;

    public ImageStore(string root, ILayerUnpacker unpacker)
    {
        Root = Path.GetFullPath(root);
        Content = new ContentStore(Root);
        Layers = new LayerStore(Root, unpacker);
        References = new ReferenceStore(Root);
        _imagesDir = Path.Combine(Root, "images");
        _tmpDir = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(_imagesDir);
        Directory.CreateDirectory(_tmpDir);
    }

    public string Root { get; }
    public ContentStore Content { get; }
    public LayerStore Layers { get; }
    public ReferenceStore References { get; }

    /// <summary>Ids of every stored image.</summary>
    public IReadOnlyList<string> ImageIds() =>
        Directory.EnumerateFiles(_imagesDir, "*.json").Select(Path.GetFileNameWithoutExtension)
            .Where(n => Digests.IsHex64(n)).Select(n => Digests.Prefix + n).Order(StringComparer.Ordinal).ToList();

    /// <summary>Image id for a name, full id or id prefix; null if none.</summary>
    public string? Resolve(string reference) => References.Resolve(reference, ImageIds());

    public ImageRecord Inspect(string reference)
    {
        var id = Resolve(reference) ?? throw new ImageNotFoundException(reference);
        return Describe(id);
    }

    public IReadOnlyList<ImageRecord> List() => ImageIds().Select(Describe).ToList();

    /// <summary>overlayfs lowerdirs of an image, topmost first.</summary>
    public IReadOnlyList<string> LowerDirsFor(string reference)
    {
        var id = Resolve(reference) ?? throw new ImageNotFoundException(reference);
        return Layers.LowerDirs(ReadConfig(id).RootFs?.DiffIds ?? []);
    }

    /// <summary>
    /// Loads a <c>docker save</c> archive or an OCI image-layout archive (tar, optionally gzip). Every blob is verified
    /// and every layer's diff id checked against the config. References are written last, in one atomic write; on
    /// failure everything this call created is removed. Returns the loaded references (the image id for untagged images).
    /// The archive is read once: entries that look like layers are unpacked while they are staged (see
    /// <see cref="SpeculateLayer"/>) and committed only once the manifest names them and their digests check out.
    /// </summary>
    public async Task<IReadOnlyList<string>> LoadAsync(Stream archive, IProgress<string>? progress, CancellationToken ct)
    {
        return await WriteTransactionAsync(async created =>
        {
            var prepared = new Dictionary<string, Task<PreparedLayer>>(StringComparer.Ordinal);
            try
            {
                using var staging = await ArchiveStaging.ExtractAsync(archive, Path.Combine(_tmpDir, $"load-{Guid.NewGuid():N}"), ct,
                    (name, path, length) => SpeculateLayer(name, path, length, prepared, ct));
                return await LoadStagedAsync(staging, prepared, created, progress, ct);
            }
            finally
            {
                await DiscardPreparedAsync(prepared.Values);
            }
        }, ct);
    }

    private async Task<IReadOnlyList<string>> LoadStagedAsync(ArchiveStaging staging, Dictionary<string, Task<PreparedLayer>> prepared, Created created,
        IProgress<string>? progress, CancellationToken ct)
    {
        var loaded = new List<(string Id, IReadOnlyList<string> Refs)>();
        if (staging.Contains("manifest.json"))
        {
            await LoadDockerAsync(staging, prepared, loaded, created, progress, ct);
        }
        else if (staging.Contains("index.json"))
        {
            await LoadOciAsync(staging, prepared, loaded, created, progress, ct);
        }
        else
        {
            throw new ImageFormatException("archive: neither manifest.json (docker save) nor index.json (OCI layout) found");
        }

        var tags = loaded.SelectMany(l => l.Refs.Select(r => (Reference: r, l.Id))).ToList();
        foreach (var (r, _) in tags)
        {
            if (!ImageReference.TryParse(r, out _))
            {
                throw new ImageFormatException($"invalid reference \"{r}\" in archive");
            }
        }

        var normalized = References.TagMany(tags);
        foreach (var r in normalized)
        {
            progress?.Report($"Loaded image: {r}");
        }

        var result = normalized.ToList();
        foreach (var (id, refs) in loaded.Where(l => l.Refs.Count == 0))
        {
            progress?.Report($"Loaded image ID: {id}");
            result.Add(id);
        }

        return result.Distinct().ToList();
    }

    /// <summary>
    /// The tee for <see cref="ArchiveStaging"/>: an entry that is probably a layer (docker save's &lt;id&gt;/layer.tar, or
    /// an OCI blob too large to be JSON) and not already unpacked is unpacked into a temporary layer directory while it
    /// arrives, keyed by its staged path. Nothing is trusted yet: <see cref="LayerStore.AddAsync"/> commits it only for a
    /// blob the manifest names, with the diff id the config expects; a failed guess is unpacked again from the blob (which
    /// reports the error as before) and every unused one is removed.
    /// </summary>
    private Func<Stream, Func<string>, Task>? SpeculateLayer(string name, string path, long length, Dictionary<string, Task<PreparedLayer>> prepared, CancellationToken ct)
    {
        string? hex;
        if (name.EndsWith("/layer.tar", StringComparison.Ordinal))
        {
            hex = name[..^"/layer.tar".Length];
        }
        else if (name.StartsWith("blobs/sha256/", StringComparison.Ordinal) && length >= 64 << 10)
        {
            hex = name["blobs/sha256/".Length..];
        }
        else
        {
            return null;
        }

        if (Digests.IsHex64(hex) && (Layers.DiffIdOfBlob(Digests.Prefix + hex) is not null || Layers.Exists(Digests.Prefix + hex)))
        {
            return null; // already here: the load will not unpack it
        }

        var done = new TaskCompletionSource<PreparedLayer>(TaskCreationOptions.RunContinuationsAsynchronously);
        prepared[path] = done.Task;
        return async (stream, digest) =>
        {
            try
            {
                done.SetResult(await Layers.PrepareAsync(stream, digest, ct));
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        };
    }

    /// <summary>Waits for the speculative unpacks still running and removes the directories no layer took.</summary>
    private static async Task DiscardPreparedAsync(IEnumerable<Task<PreparedLayer>> prepared)
    {
        foreach (var task in prepared.ToList())
        {
            try
            {
                FileSync.TryDeleteDirectory((await task).TempDir);
            }
            catch (Exception)
            {
                // a failed guess left nothing behind
            }
        }
    }

    /// <summary>The speculative unpack of a staged archive entry, handed over (the caller then owns its directory).</summary>
    private static Task<PreparedLayer>? TakePrepared(ArchiveStaging staging, string name, Dictionary<string, Task<PreparedLayer>> prepared) =>
        staging.PathOf(name) is { } path && prepared.Remove(path, out var task) ? task : null;

    /// <summary>
    /// <c>docker commit</c>: turns a container's overlayfs <paramref name="upperDir"/> into a new layer on top of
    /// <paramref name="parentReference"/> (null: scratch) with <paramref name="config"/> as the run config, and tags
    /// <paramref name="repoTag"/> if given. The layer is stored as an uncompressed blob and unpacked into the layer store
    /// like any loaded layer; paths in <paramref name="exclude"/> (relative, e.g. "proc") are left out with what is below
    /// them. On failure everything this call created is removed. Returns the new image id.
    /// </summary>
    public async Task<string> CommitAsync(string? parentReference, string upperDir, ContainerConfig config, string? repoTag,
        string? comment, string? author, CancellationToken ct, IReadOnlySet<string>? exclude = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(upperDir);
        ArgumentNullException.ThrowIfNull(config);
        if (!Directory.Exists(upperDir))
        {
            throw new DirectoryNotFoundException($"upper directory {upperDir} does not exist");
        }

        if (repoTag is not null && !ImageReference.TryParse(repoTag, out _))
        {
            throw new ArgumentException($"invalid reference format: \"{repoTag}\"", nameof(repoTag));
        }

        return await WriteTransactionAsync(async created =>
        {
            var now = Now();
            var id = await CreateChildImageAsync(parentReference, upperDir, config,
                new HistoryEntry { Created = now, CreatedBy = "ccagent commit", Comment = comment, Author = author }, author, created, ct, exclude);
            if (repoTag is not null)
            {
                References.Tag(repoTag, id);
            }

            return id;
        }, ct);
    }

    /// <summary>
    /// Untags <paramref name="reference"/> (a name) or, for an id, the image itself (an image with several tags needs
    /// <paramref name="force"/>). Blobs and layers no longer used by any image are deleted. Returns Untagged:/Deleted: lines.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveAsync(string reference, bool force, Func<string, bool>? inUse = null, CancellationToken ct = default)
    {
        await _mutex.WaitAsync(ct);
        try
        {
            var id = Resolve(reference) ?? throw new ImageNotFoundException(reference);
            var result = new List<string>();
            var refs = References.ReferencesTo(id);
            var byName = ImageReference.TryParse(reference, out var parsed) && refs.Contains(parsed.ToString());
            if (byName)
            {
                References.Untag(parsed!.ToString());
                result.Add($"Untagged: {parsed}");
                if (refs.Count > 1)
                {
                    return result;
                }
            }
            else
            {
                if (refs.Count > 1 && !force)
                {
                    throw new InvalidOperationException(
                        $"conflict: unable to delete {id[7..19]} (must be forced) - image is referenced in multiple repositories");
                }

                foreach (var r in refs)
                {
                    References.Untag(r);
                    result.Add($"Untagged: {r}");
                }
            }

            var parents = Parents();
            if (parents.Contains(id))
            {
                if (byName)
                {
                    return result; // untagged; its children still need it
                }

                throw new InvalidOperationException($"conflict: unable to delete {id[7..19]} (cannot be forced) - image has dependent child images");
            }

            var parent = ReadStoredImage(id).Parent;
            DeleteImage(id);
            result.Add($"Deleted: {id}");
            // As docker: the untagged images this one was built on go too, unless something else still needs them.
            while (parent is not null && HasImage(parent) && References.ReferencesTo(parent).Count == 0
                   && !(inUse?.Invoke(parent) ?? false) && !Parents().Contains(parent))
            {
                var next = ReadStoredImage(parent).Parent;
                DeleteImage(parent);
                result.Add($"Deleted: {parent}");
                parent = next;
            }

            return result;
        }
        finally
        {
            _mutex.Release();
        }
    }

    /// <summary>Ids of images that another image names as its parent.</summary>
    public IReadOnlySet<string> Parents()
    {
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ImageIds())
        {
            try
            {
                if (ReadStoredImage(id).Parent is { } p)
                {
                    parents.Add(p);
                }
            }
            catch (Exception e) when (e is IOException or JsonException or ImageNotFoundException)
            {
                // a record removed or damaged meanwhile has no children to protect
            }
        }

        return parents;
    }

    public IReadOnlyList<string> Remove(string reference, bool force, Func<string, bool>? inUse = null) => RemoveAsync(reference, force, inUse).GetAwaiter().GetResult();

    /// <summary>Tags an existing image.</summary>
    public string Tag(string source, string target)
    {
        var id = Resolve(source) ?? throw new ImageNotFoundException(source);
        return References.Tag(target, id);
    }

    /// <summary>
    /// Writes a <c>docker save</c> compatible archive (manifest.json, blobs/sha256/* holding the config and the original
    /// layer blobs) that is also an OCI image layout (oci-layout, index.json).
    /// </summary>
    public async Task SaveAsync(IEnumerable<string> references, Stream output, CancellationToken ct)
    {
        var entries = new List<DockerArchiveManifestEntry>();
        var index = new List<Descriptor>();
        var blobs = new List<string>();
        var byId = new Dictionary<string, int>();
        foreach (var reference in references)
        {
            var id = Resolve(reference) ?? throw new ImageNotFoundException(reference);
            List<string> tags;
            if (ImageReference.TryParse(reference, out var parsed) && References.ReferencesTo(id).Contains(parsed.ToString()))
            {
                tags = [parsed.ToString()];
            }
            else
            {
                tags = References.ReferencesTo(id).Where(r => ImageReference.Parse(r).Tag is not null).ToList();
            }

            var manifestDigest = ReadStoredImage(id).ManifestDigest;
            var manifest = OciJson.ParseManifest(Content.ReadAllBytes(manifestDigest), $"manifest {manifestDigest}");
            if (byId.TryGetValue(id, out var at))
            {
                var prev = entries[at];
                entries[at] = prev with { RepoTags = (prev.RepoTags ?? []).Concat(tags.Select(Familiar)).Distinct().ToList() };
            }
            else
            {
                byId[id] = entries.Count;
                entries.Add(new DockerArchiveManifestEntry
                {
                    Config = BlobName(id),
                    RepoTags = tags.Select(Familiar).ToList(),
                    Layers = manifest.Layers.Select(l => BlobName(l.Digest)).ToList(),
                });
                blobs.Add(id);
                blobs.AddRange(manifest.Layers.Select(l => l.Digest));
                blobs.Add(manifestDigest);
            }

            var mediaType = manifest.MediaType ?? MediaTypes.OciManifest;
            var size = Content.SizeOf(manifestDigest);
            if (tags.Count == 0)
            {
                index.Add(new Descriptor { MediaType = mediaType, Digest = manifestDigest, Size = size });
            }

            foreach (var t in tags)
            {
                index.Add(new Descriptor
                {
                    MediaType = mediaType, Digest = manifestDigest, Size = size,
                    Annotations = new Dictionary<string, string>
                    {
                        [AnnotationKeys.ContainerdImageName] = t,
                        [AnnotationKeys.RefName] = ImageReference.Parse(t).Tag ?? "",
                    },
                });
            }
        }

        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await WriteBytesAsync(writer, "oci-layout", OciJson.Serialize(new OciLayoutFile(), OciJsonContext.Default.OciLayoutFile), ct);
        foreach (var digest in blobs.Distinct())
        {
            await using var data = Content.Open(digest);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, BlobName(digest))
            {
                DataStream = data, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            await writer.WriteEntryAsync(entry, ct);
        }

        await WriteBytesAsync(writer, "index.json",
            OciJson.Serialize(new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = index }, OciJsonContext.Default.ImageIndex), ct);
        await WriteBytesAsync(writer, "manifest.json",
            OciJson.Serialize(entries, OciJsonContext.Default.ListDockerArchiveManifestEntry), ct);
    }

    private static string BlobName(string digest) => $"blobs/sha256/{Digests.Hex(digest)}";

    /// <summary>docker.io/library/busybox:latest → busybox:latest, as docker save writes RepoTags.</summary>
    private static string Familiar(string reference)
    {
        var r = ImageReference.Parse(reference);
        var path = r.Domain == ImageReference.DefaultDomain && r.Path.StartsWith("library/", StringComparison.Ordinal) && r.Path.IndexOf('/', 8) < 0
            ? r.Path[8..] : r.Path;
        var name = r.Domain == ImageReference.DefaultDomain ? path : $"{r.Domain}/{path}";
        return name + (r.Tag is null ? "" : ":" + r.Tag);
    }

    private static async Task WriteBytesAsync(TarWriter writer, string name, byte[] bytes, CancellationToken ct)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(bytes, writable: false),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        await writer.WriteEntryAsync(entry, ct);
    }

    /// <summary>
    /// One writing operation: the store's mutex held, and everything <paramref name="work"/> records in its
    /// <see cref="Created"/> removed again if it fails, so a failed load, commit, import or build step leaves nothing.
    /// </summary>
    private async Task<T> WriteTransactionAsync<T>(Func<Created, Task<T>> work, CancellationToken ct)
    {
        await _mutex.WaitAsync(ct);
        var created = new Created();
        try
        {
            return await work(created);
        }
        catch
        {
            Rollback(created);
            throw;
        }
        finally
        {
            _mutex.Release();
        }
    }

    // ---- loading ----

    private sealed class Created
    {
        public List<string> Blobs { get; } = [];
        public List<string> Layers { get; } = [];
        public List<string> Images { get; } = [];
    }

    private async Task LoadDockerAsync(ArchiveStaging staging, Dictionary<string, Task<PreparedLayer>> prepared, List<(string, IReadOnlyList<string>)> loaded, Created created,
        IProgress<string>? progress, CancellationToken ct)
    {
        var entries = OciJson.ParseDockerArchiveManifest(staging.ReadSmall("manifest.json", "manifest.json", MaxJson), "manifest.json");
        foreach (var (entry, n) in entries.Select((e, i) => (e, i)))
        {
            var what = $"manifest.json[{n}]";
            var configBytes = staging.ReadSmall(entry.Config, $"{what}.Config", MaxJson);
            var configDigest = await PutBlobAsync(staging, entry.Config, DigestFromName(entry.Config, configBytes: true), null, created, $"{what}.Config", ct);
            var config = OciJson.ParseConfig(configBytes, $"config {entry.Config}");
            var diffIds = CheckDiffIdCount(config, entry.Layers.Count, $"config {entry.Config}");

            var layers = new List<Descriptor>();
            for (var i = 0; i < entry.Layers.Count; i++)
            {
                var name = entry.Layers[i];
                var layerWhat = $"layer {i} ({name})";
                var digest = await PutBlobAsync(staging, name, DigestFromName(name, configBytes: false), null, created, $"{what}: {layerWhat}", ct);
                await UnpackAsync(digest, diffIds[i], layerWhat, created, progress, ct, TakePrepared(staging, name, prepared));
                layers.Add(new Descriptor { MediaType = SniffLayerMediaType(digest, docker: true), Digest = digest, Size = Content.SizeOf(digest) });
            }

            var manifest = new ImageManifest
            {
                MediaType = MediaTypes.DockerManifest,
                Config = new Descriptor { MediaType = MediaTypes.DockerConfig, Digest = configDigest, Size = configBytes.Length },
                Layers = layers,
            };
            var manifestBytes = OciJson.Serialize(manifest, OciJsonContext.Default.ImageManifest);
            var manifestDigest = Digests.Of(manifestBytes);
            await PutBytesAsync(manifestBytes, manifestDigest, created, ct);
            RecordImage(configDigest, manifestDigest, created);
            loaded.Add((configDigest, entry.RepoTags ?? []));
        }
    }

    private async Task LoadOciAsync(ArchiveStaging staging, Dictionary<string, Task<PreparedLayer>> prepared, List<(string, IReadOnlyList<string>)> loaded, Created created,
        IProgress<string>? progress, CancellationToken ct)
    {
        var index = OciJson.ParseIndex(staging.ReadSmall("index.json", "index.json", MaxJson), "index.json");
        foreach (var (top, n) in index.Manifests.Select((d, i) => (d, i)))
        {
            var refs = new List<string>();
            if (top.Annotations?.GetValueOrDefault(AnnotationKeys.ContainerdImageName) is { Length: > 0 } full)
            {
                refs.Add(full);
            }
            else if (top.Annotations?.GetValueOrDefault(AnnotationKeys.RefName) is { Length: > 0 } refName && (refName.Contains(':') || refName.Contains('/')))
            {
                refs.Add(refName);
            }

            foreach (var desc in await SelectManifestsAsync(staging, top, $"index.json manifests[{n}]", created, ct))
            {
                var what = $"manifest {desc.Digest}";
                var manifestBytes = await ReadBlobAsync(staging, desc, what, created, ct);
                var manifest = OciJson.ParseManifest(manifestBytes, what);
                var configBytes = await ReadBlobAsync(staging, manifest.Config, $"{what}: config", created, ct);
                var config = OciJson.ParseConfig(configBytes, $"config {manifest.Config.Digest}");
                var diffIds = CheckDiffIdCount(config, manifest.Layers.Count, $"config {manifest.Config.Digest}");
                for (var i = 0; i < manifest.Layers.Count; i++)
                {
                    var layer = manifest.Layers[i];
                    var layerWhat = $"layer {i} ({layer.Digest})";
                    if (!MediaTypes.IsLayer(layer.MediaType))
                    {
                        throw new ImageFormatException($"{what}: {layerWhat}: unsupported media type \"{layer.MediaType}\"");
                    }

                    Digests.Hex(layer.Digest, $"{what}: {layerWhat}");
                    await PutBlobAsync(staging, BlobName(layer.Digest), layer.Digest, layer.Size, created, $"{what}: {layerWhat}", ct);
                    await UnpackAsync(layer.Digest, diffIds[i], layerWhat, created, progress, ct, TakePrepared(staging, BlobName(layer.Digest), prepared));
                }

                RecordImage(manifest.Config.Digest, desc.Digest, created);
                loaded.Add((manifest.Config.Digest, refs));
            }
        }
    }

    /// <summary>An image manifest descriptor, or the host platform's manifests of a nested index.</summary>
    private async Task<List<Descriptor>> SelectManifestsAsync(ArchiveStaging staging, Descriptor desc, string what, Created created, CancellationToken ct)
    {
        if (MediaTypes.IsManifest(desc.MediaType))
        {
            return [desc];
        }

        if (!MediaTypes.IsIndex(desc.MediaType))
        {
            throw new ImageFormatException($"{what}: unsupported media type \"{desc.MediaType}\"");
        }

        var nested = OciJson.ParseIndex(await ReadBlobAsync(staging, desc, what, created, ct), $"index {desc.Digest}");
        var arch = HostArchitecture();
        var matching = nested.Manifests.Where(m => MediaTypes.IsManifest(m.MediaType)
            && (m.Platform is null || (m.Platform.Os == "linux" && m.Platform.Architecture == arch))).ToList();
        if (matching.Count == 0)
        {
            throw new ImageFormatException($"index {desc.Digest}: no manifest for linux/{arch}");
        }

        return [matching[0]];
    }

    internal static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static IReadOnlyList<string> CheckDiffIdCount(ImageConfig config, int layerCount, string what)
    {
        var diffIds = config.RootFs?.DiffIds ?? throw new ImageFormatException($"{what}: rootfs.diff_ids is missing");
        if (diffIds.Count != layerCount)
        {
            throw new ImageFormatException($"{what}: rootfs.diff_ids has {diffIds.Count} entries but the manifest lists {layerCount} layers");
        }

        foreach (var d in diffIds)
        {
            Digests.Hex(d, $"{what}: rootfs.diff_ids");
        }

        return diffIds;
    }

    /// <summary>The digest a docker-save path promises: blobs/sha256/&lt;hex&gt; or (config only) &lt;hex&gt;.json.</summary>
    private static string? DigestFromName(string name, bool configBytes)
    {
        var normalized = ArchiveStaging.NormalizeName(name, null) ?? name;
        if (normalized.StartsWith("blobs/sha256/", StringComparison.Ordinal))
        {
            return Digests.Prefix + normalized["blobs/sha256/".Length..];
        }

        if (configBytes && normalized.EndsWith(".json", StringComparison.Ordinal) && Digests.IsHex64(normalized.AsSpan(0, normalized.Length - 5)))
        {
            return Digests.Prefix + normalized[..^5];
        }

        return null;
    }

    private async Task<byte[]> ReadBlobAsync(ArchiveStaging staging, Descriptor desc, string what, Created created, CancellationToken ct)
    {
        Digests.Hex(desc.Digest, what);
        if (desc.Size > MaxJson)
        {
            throw new ImageFormatException($"{what}: {desc.Size} bytes is too large");
        }

        var digest = await PutBlobAsync(staging, BlobName(desc.Digest), desc.Digest, desc.Size, created, what, ct);
        return Content.ReadAllBytes(digest);
    }

    private async Task<string> PutBlobAsync(ArchiveStaging staging, string name, string? expectedDigest, long? expectedSize,
        Created created, string what, CancellationToken ct)
    {
        if (expectedDigest is not null && !Digests.IsValid(expectedDigest))
        {
            throw new ImageFormatException($"{what}: invalid digest \"{expectedDigest}\"");
        }

        var path = staging.PathOf(name) ?? throw new ImageFormatException($"{what}: \"{name}\" is missing from the archive");
        try
        {
            // The staged file is on the store's filesystem: link it in rather than copy hundreds of megabytes again.
            var (blob, isNew) = await Content.AdoptAsync(path, expectedDigest, expectedSize, ct, staging.DigestOfStaged(path));
            if (isNew)
            {
                created.Blobs.Add(blob.Digest);
            }

            return blob.Digest;
        }
        catch (ImageFormatException e)
        {
            throw new ImageFormatException($"{what}: {e.Message}");
        }
    }

    private async Task PutBytesAsync(byte[] bytes, string digest, Created created, CancellationToken ct)
    {
        var existed = Content.Exists(digest);
        await Content.WriteAsync(bytes, digest, ct);
        if (!existed)
        {
            created.Blobs.Add(digest);
        }
    }

    private async Task UnpackAsync(string blobDigest, string diffId, string what, Created created, IProgress<string>? progress, CancellationToken ct,
        Task<PreparedLayer>? prepared = null)
    {
        PreparedLayer? ready = null;
        if (prepared is not null)
        {
            try
            {
                ready = await prepared;
            }
            catch (Exception)
            {
                // unpacked again from the blob below, which reports the failure with its context
            }
        }

        var (layer, isNew) = await Layers.AddAsync(blobDigest, () => Content.Open(blobDigest), diffId, what, ct, ready);
        if (isNew)
        {
            created.Layers.Add(layer.DiffId);
            progress?.Report($"{blobDigest[7..19]}: Loaded layer");
        }
        else
        {
            progress?.Report($"{blobDigest[7..19]}: Already exists");
        }
    }

    private string SniffLayerMediaType(string digest, bool docker)
    {
        using var s = Content.Open(digest);
        Span<byte> head = stackalloc byte[4];
        var n = s.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip;
        }

        if (n == 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        {
            return MediaTypes.OciLayerZstd;
        }

        return docker ? MediaTypes.DockerLayer : MediaTypes.OciLayer;
    }

    // ---- image records ----

    private string RecordPath(string id) => Path.Combine(_imagesDir, Digests.Hex(id, "image id") + ".json");

    private void RecordImage(string id, string manifestDigest, Created created, string? parent = null)
    {
        var path = RecordPath(id);
        if (File.Exists(path))
        {
            return;
        }

        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(new StoredImage { Id = id, ManifestDigest = manifestDigest, Parent = parent }, StoreJsonContext.Default.StoredImage));
        created.Images.Add(id);
    }

    private StoredImage ReadStoredImage(string id)
    {
        var path = RecordPath(id);
        if (!File.Exists(path))
        {
            throw new ImageNotFoundException(id);
        }

        return JsonSerializer.Deserialize(File.ReadAllBytes(path), StoreJsonContext.Default.StoredImage)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    private ImageConfig ReadConfig(string id) => OciJson.ParseConfig(Content.ReadAllBytes(id), $"config {id}");

    private ImageRecord Describe(string id)
    {
        var stored = ReadStoredImage(id);
        var config = ReadConfig(id);
        var diffIds = config.RootFs?.DiffIds ?? [];
        var size = diffIds.Sum(d => Layers.Get(d)?.Size ?? 0);
        return new ImageRecord(id, References.ReferencesTo(id), config.CreatedAt, size, stored.ManifestDigest, diffIds, config)
        {
            RepoDigests = stored.RepoDigests ?? [],
            Parent = stored.Parent,
        };
    }

    /// <summary>Digests of all blobs and diff ids of all layers used by the images other than <paramref name="except"/>.</summary>
    private (HashSet<string> Blobs, HashSet<string> DiffIds) InUse(IEnumerable<string> except)
    {
        var skip = except.ToHashSet();
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var diffIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ImageIds().Where(i => !skip.Contains(i)))
        {
            var (b, d) = Parts(id);
            blobs.UnionWith(b);
            diffIds.UnionWith(d);
        }

        return (blobs, diffIds);
    }

    private (List<string> Blobs, List<string> DiffIds) Parts(string id)
    {
        var blobs = new List<string> { id };
        var diffIds = new List<string>();
        try
        {
            var stored = ReadStoredImage(id);
            blobs.Add(stored.ManifestDigest);
            if (Content.Exists(stored.ManifestDigest))
            {
                var manifest = OciJson.ParseManifest(Content.ReadAllBytes(stored.ManifestDigest), stored.ManifestDigest);
                blobs.AddRange(manifest.Layers.Select(l => l.Digest));
            }

            if (Content.Exists(id))
            {
                diffIds.AddRange(ReadConfig(id).RootFs?.DiffIds ?? []);
            }
        }
        catch (Exception e) when (e is ImageFormatException or IOException or ImageNotFoundException)
        {
            // a damaged record still releases what it can
        }

        return (blobs, diffIds);
    }

    /// <summary>Deletes an image record and whatever of its blobs and layers no other image uses; returns the bytes freed.</summary>
    private long DeleteImage(string id)
    {
        var (blobs, diffIds) = Parts(id);
        FileSync.TryDeleteFile(RecordPath(id));
        var (usedBlobs, usedDiffIds) = InUse([id]);
        long freed = 0;
        foreach (var d in diffIds.Where(d => !usedDiffIds.Contains(d) && Digests.IsValid(d)))
        {
            freed += Layers.Get(d)?.Size ?? 0;
            Layers.Delete(d);
        }

        foreach (var b in blobs.Where(b => !usedBlobs.Contains(b) && Digests.IsValid(b)))
        {
            freed += Content.Exists(b) ? Content.SizeOf(b) : 0;
            Layers.ForgetBlob(b);
            Content.Delete(b);
        }

        return freed;
    }

    private void Rollback(Created created)
    {
        foreach (var id in created.Images)
        {
            FileSync.TryDeleteFile(RecordPath(id));
        }

        var (usedBlobs, usedDiffIds) = InUse([]);
        foreach (var d in created.Layers.Where(d => !usedDiffIds.Contains(d)))
        {
            Layers.Delete(d);
        }

        foreach (var b in created.Blobs.Where(b => !usedBlobs.Contains(b)))
        {
            Layers.ForgetBlob(b);
            Content.Delete(b);
        }
    }
}

internal sealed class StoredImage
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("manifest")] public string ManifestDigest { get; init; } = "";
    [JsonPropertyName("repoDigests")] public List<string>? RepoDigests { get; init; }

    /// <summary>The image this one was built or committed on here (docker's Parent); not part of the content.</summary>
    [JsonPropertyName("parent")] public string? Parent { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredImage))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
