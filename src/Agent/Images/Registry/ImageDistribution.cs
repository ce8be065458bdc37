using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Images.Registry;

/// <summary>
/// docker pull, push and login against OCI distribution registries, storing into and reading from an
/// <see cref="ImageStore"/>. Progress is reported as Docker's JSON messages.
/// </summary>
public sealed class ImageDistribution(ImageStore store, RegistryEndpoints endpoints, CredentialStore credentials,
    Func<RegistryEndpoint, HttpMessageHandler>? handlerFactory = null)
{
    public CredentialStore Credentials => credentials;

    /// <summary>Layers fetched or pushed at once, as dockerd's default of 3.</summary>
    public int Parallelism { get; init; } = 3;

    /// <summary>Blobs up to this size are uploaded with one PUT; larger ones in PATCH chunks of this size.</summary>
    public long UploadChunkSize { get; init; } = 16 << 20;

    public PlatformSelector Platform { get; init; } = PlatformSelector.Host();

    /// <summary>Pulls <paramref name="reference"/> (a tag or a digest) for <paramref name="platform"/> (default: the host's). Returns the image id.</summary>
    public async Task<string> PullAsync(string reference, RegistryCredentials? auth, IProgress<ProgressMessage> progress, CancellationToken ct,
        PlatformSelector? platform = null)
    {
        var image = ParseReference(reference);
        using var session = OpenSession(image.Domain, auth);
        var wanted = image.Digest ?? image.Tag!;
        var top = await session.GetManifestAsync(image.Path, wanted, ct);
        var topDigest = VerifyManifest(top, image.Digest, $"{image}");

        var manifest = top;
        var manifestDigest = topDigest;
        if (MediaTypes.IsIndex(top.MediaType))
        {
            var index = OciJson.ParseIndex(top.Bytes, $"manifest list {topDigest}");
            var chosen = (platform ?? Platform).Select(index, $"{image}");
            manifest = await session.GetManifestAsync(image.Path, chosen.Digest, ct);
            manifestDigest = VerifyManifest(manifest, chosen.Digest, $"{image.Name}@{chosen.Digest}");
        }

        if (!MediaTypes.IsManifest(manifest.MediaType))
        {
            throw new ImageFormatException($"{image}: unsupported manifest media type \"{manifest.MediaType}\"" +
                (manifest.MediaType.Contains("v1+", StringComparison.Ordinal) || manifest.MediaType.Contains("prettyjws", StringComparison.Ordinal)
                    ? " (Docker schema 1 images are not supported)" : ""));
        }

        progress.Report(new ProgressMessage { Status = $"Pulling from {image.Path}", Id = image.Digest ?? image.Tag });
        var parsed = OciJson.ParseManifest(manifest.Bytes, $"manifest {manifestDigest}");
        var upToDate = store.HasImage(parsed.Config.Digest)
            && (image.Tag is null || store.References.Resolve($"{image.Name}:{image.Tag}") == parsed.Config.Digest);
        string id;
        if (store.HasImage(parsed.Config.Digest))
        {
            id = parsed.Config.Digest;
        }
        else
        {
            var sizes = parsed.Layers.GroupBy(l => l.Digest).ToDictionary(g => g.Key, g => g.First().Size);
            id = await store.AddPulledImageAsync(manifestDigest, manifest.Bytes,
                (blob, token) => OpenBlobAsync(session, image.Path, blob, sizes.ContainsKey(blob.Digest) ? progress : null, token),
                new Progress(e => progress.Report(ProgressMessage.Layer(e.Digest, e.Status))), Parallelism, ct);
        }

        await store.RecordRegistryReferenceAsync(id, image.Name, topDigest, image.Tag, ct);
        var sources = new BlobSourceStore(store.Root);
        foreach (var layer in parsed.Layers)
        {
            sources.Add(layer.Digest, image.Domain, image.Path);
        }

        progress.Report(ProgressMessage.Line($"Digest: {topDigest}"));
        progress.Report(ProgressMessage.Line(upToDate ? $"Status: Image is up to date for {Familiar(image)}" : $"Status: Downloaded newer image for {Familiar(image)}"));
        return id;
    }

    /// <summary>
    /// Pushes <paramref name="name"/>:<paramref name="tag"/>, or every local tag of the repository when tag is null.
    /// Returns the pushed manifest digests.
    /// </summary>
    public async Task<IReadOnlyList<PushResult>> PushAsync(string name, string? tag, RegistryCredentials? auth, IProgress<ProgressMessage> progress,
        CancellationToken ct)
    {
        var repo = ParseReference(string.IsNullOrEmpty(tag) ? name : $"{name}:{tag}");
        if (repo.Digest is not null)
        {
            throw new ArgumentException($"cannot push a digest reference \"{name}\"; push a tag");
        }

        // Without a tag (here or in the name) docker pushes every local tag of the repository.
        var explicitTag = !string.IsNullOrEmpty(tag) || name[(name.LastIndexOf('/') + 1)..].Contains(':', StringComparison.Ordinal);
        var tags = explicitTag
            ? [repo.Tag!]
            : store.References.List().Select(kv => ImageReference.Parse(kv.Key)).Where(r => r.Name == repo.Name && r.Tag is not null)
                .Select(r => r.Tag!).ToList();
        if (tags.Count == 0 || (explicitTag && store.Resolve(repo.ToString()) is null))
        {
            throw new RegistryException(404, $"An image does not exist locally with the tag: {Familiar(repo with { Tag = null })}");
        }

        progress.Report(ProgressMessage.Line($"The push refers to repository [{repo.Name}]"));
        using var session = OpenSession(repo.Domain, auth);
        var sources = new BlobSourceStore(store.Root);
        var results = new List<PushResult>();
        foreach (var t in tags)
        {
            var reference = $"{repo.Name}:{t}";
            var stored = store.ReadManifest(reference);
            var layers = stored.Manifest.Layers;
            using var slots = new SemaphoreSlim(Parallelism, Parallelism);
            await Task.WhenAll(layers.Select((layer, i) =>
            {
                var shown = i < stored.DiffIds.Count ? stored.DiffIds[i] : layer.Digest;
                progress.Report(ProgressMessage.Layer(shown, "Preparing"));
                return Task.Run(async () =>
                {
                    await slots.WaitAsync(ct);
                    try
                    {
                        await PushBlobAsync(session, repo, layer, shown, sources, progress, ct);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, ct);
            }));
            await PushBlobAsync(session, repo, stored.Manifest.Config, null, sources, null, ct);

            var mediaType = string.IsNullOrEmpty(stored.Manifest.MediaType) ? MediaTypes.OciManifest : stored.Manifest.MediaType;
            var reported = await session.PutManifestAsync(repo.Path, t, stored.Bytes, mediaType, ct);
            if (reported is not null && reported.StartsWith(Digests.Prefix, StringComparison.Ordinal) && reported != stored.Digest)
            {
                throw new RegistryException(502, $"registry {repo.Domain} stored the manifest as {reported}, but it is {stored.Digest}");
            }

            await store.RecordRegistryReferenceAsync(stored.ImageId, repo.Name, stored.Digest, null, ct);
            var result = new PushResult { Tag = t, Digest = stored.Digest, Size = stored.Bytes.Length };
            results.Add(result);
            progress.Report(ProgressMessage.Line($"{t}: digest: {stored.Digest} size: {stored.Bytes.Length}"));
            progress.Report(new ProgressMessage { ProgressDetail = new ProgressDetail(), Aux = result });
        }

        return results;
    }

    /// <summary>docker login: verifies the credentials with the registry, then stores them for later pulls and pushes.</summary>
    public async Task LoginAsync(RegistryCredentials login, CancellationToken ct)
    {
        var server = RegistryCredentials.NormalizeServer(login.ServerAddress);
        if (!ImageReference.TryParse($"{server}/x", out var parsed) || parsed.Domain != server)
        {
            throw new ArgumentException($"invalid registry address \"{login.ServerAddress}\"");
        }

        using var session = OpenSession(server, login);
        await session.VerifyLoginAsync(ct);
        credentials.Save(server, login);
    }

    private RegistrySession OpenSession(string domain, RegistryCredentials? auth) =>
        new(domain, auth ?? credentials.Get(domain), endpoints, handlerFactory);

    private static ImageReference ParseReference(string reference) =>
        ImageReference.TryParse(reference, out var parsed) ? parsed : throw new ArgumentException($"invalid reference format: \"{reference}\"");

    /// <summary>Our own sha256 of the manifest; it must equal the digest asked for and the one the registry reports.</summary>
    private static string VerifyManifest(FetchedManifest manifest, string? expected, string what)
    {
        var actual = Digests.Of(manifest.Bytes);
        if (expected is not null && actual != expected)
        {
            throw new ImageFormatException($"{what}: manifest digest mismatch: asked for {expected}, the registry sent content hashing to {actual}");
        }

        if (expected is not null && manifest.DockerContentDigest is { } header && header.StartsWith(Digests.Prefix, StringComparison.Ordinal) && header != expected)
        {
            throw new ImageFormatException($"{what}: manifest digest mismatch: asked for {expected}, the registry reports Docker-Content-Digest {header}");
        }

        return actual;
    }

    private async Task<Stream> OpenBlobAsync(RegistrySession session, string repository, Descriptor blob, IProgress<ProgressMessage>? progress,
        CancellationToken ct)
    {
        var reporter = progress is null ? null : new ByteProgress(blob.Digest, blob.Size, progress);
        var stream = await ResumingBlobStream.OpenAsync((offset, token) => session.OpenBlobAsync(repository, blob.Digest, offset, token),
            blob.Size, reporter, ct);
        return stream;
    }

    private async Task PushBlobAsync(RegistrySession session, ImageReference repo, Descriptor blob, string? shownId, BlobSourceStore sources,
        IProgress<ProgressMessage>? progress, CancellationToken ct)
    {
        if (await session.BlobExistsAsync(repo.Path, blob.Digest, ct))
        {
            if (shownId is not null)
            {
                progress?.Report(ProgressMessage.Layer(shownId, "Layer already exists"));
            }

            sources.Add(blob.Digest, repo.Domain, repo.Path);
            return;
        }

        foreach (var from in sources.RepositoriesOn(blob.Digest, repo.Domain).Where(r => r != repo.Path))
        {
            if (await session.MountBlobAsync(repo.Path, blob.Digest, from, ct))
            {
                if (shownId is not null)
                {
                    progress?.Report(ProgressMessage.Layer(shownId, $"Mounted from {from}"));
                }

                sources.Add(blob.Digest, repo.Domain, repo.Path);
                return;
            }
        }

        if (!store.Content.Exists(blob.Digest))
        {
            throw new ImageFormatException($"blob {blob.Digest} is missing from the local content store");
        }

        var size = store.Content.SizeOf(blob.Digest);
        var reporter = shownId is null || progress is null ? null : new ByteProgress(shownId, size, progress, "Pushing");
        await session.UploadBlobAsync(repo.Path, blob.Digest, () => store.Content.Open(blob.Digest), size, UploadChunkSize, reporter, ct);
        if (shownId is not null)
        {
            progress?.Report(ProgressMessage.Layer(shownId, "Pushed"));
        }

        sources.Add(blob.Digest, repo.Domain, repo.Path);
    }

    /// <summary>docker's short form: docker.io/library/busybox:latest → busybox:latest.</summary>
    private static string Familiar(ImageReference r)
    {
        var path = r.Domain == ImageReference.DefaultDomain && r.Path.StartsWith("library/", StringComparison.Ordinal) ? r.Path[8..] : r.Path;
        var name = r.Domain == ImageReference.DefaultDomain ? path : $"{r.Domain}/{path}";
        return name + (r.Tag is null ? "" : ":" + r.Tag) + (r.Digest is null ? "" : "@" + r.Digest);
    }

    private sealed class Progress(Action<BlobEvent> report) : IProgress<BlobEvent>
    {
        public void Report(BlobEvent value) => report(value);
    }

    /// <summary>Turns byte counts into "Downloading"/"Pushing" messages, at most one per 512 KiB or at the end.</summary>
    private sealed class ByteProgress(string digest, long total, IProgress<ProgressMessage> progress, string status = "Downloading") : IProgress<long>
    {
        private long _last = -1;

        public void Report(long current)
        {
            if (current - _last < 512 << 10 && current != total)
            {
                return;
            }

            _last = current;
            progress.Report(ProgressMessage.Bytes(digest, status, current, total));
        }
    }
}
