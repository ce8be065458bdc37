using System.Security.Cryptography;
using ContainerConsole.Images.Oci;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>A blob written to the content store.</summary>
public sealed record StoredBlob(string Digest, long Size);

/// <summary>Content-addressed blobs in OCI image layout form: &lt;root&gt;/blobs/sha256/&lt;hex&gt; and &lt;root&gt;/oci-layout.</summary>
public sealed class ContentStore
{
    private readonly string _blobDir;

    public ContentStore(string root)
    {
        Root = Path.GetFullPath(root);
        _blobDir = Path.Combine(Root, "blobs", "sha256");
        Directory.CreateDirectory(_blobDir);
        var layout = Path.Combine(Root, "oci-layout");
        if (!File.Exists(layout))
        {
            AtomicFile.Write(layout, OciJson.Serialize(new OciLayoutFile(), OciJsonContext.Default.OciLayoutFile));
        }
    }

    public string Root { get; }

    /// <summary>The file of a blob; the digest is validated first so it can never escape the blob directory.</summary>
    public string PathOf(string digest) => Path.Combine(_blobDir, Digests.Hex(digest));

    public bool Exists(string digest) => Digests.IsValid(digest) && File.Exists(PathOf(digest));

    public long SizeOf(string digest) => new FileInfo(PathOf(digest)).Length;

    public Stream Open(string digest)
    {
        var path = PathOf(digest);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"blob {digest} is not in the content store", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    public byte[] ReadAllBytes(string digest) => File.ReadAllBytes(PathOf(digest));

    public bool Delete(string digest)
    {
        var path = PathOf(digest);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Removes the temporary files of writes a crash interrupted; returns how many. Only safe before any write starts.</summary>
    public int SweepTemporaryFiles()
    {
        var n = 0;
        foreach (var temp in Directory.EnumerateFiles(_blobDir, ".*.tmp").ToList())
        {
            FileSync.TryDeleteFile(temp);
            n++;
        }

        return n;
    }

    /// <summary>All blob digests in the store.</summary>
    public IEnumerable<string> List() =>
        Directory.EnumerateFiles(_blobDir).Select(Path.GetFileName).Where(n => Digests.IsHex64(n)).Select(n => Digests.Prefix + n);

    /// <summary>
    /// Streams <paramref name="data"/> into a temporary file while hashing it, verifies it against
    /// <paramref name="expectedDigest"/> (and <paramref name="expectedSize"/>) when given, fsyncs and renames it into place.
    /// </summary>
    public async Task<StoredBlob> WriteAsync(Stream data, string? expectedDigest, CancellationToken ct, long? expectedSize = null)
    {
        if (expectedDigest is not null)
        {
            Digests.Hex(expectedDigest, "expected digest");
        }

        var temp = Path.Combine(_blobDir, $".{Guid.NewGuid():N}.tmp");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await data.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                    size += read;
                    if (expectedSize is { } max && size > max)
                    {
                        throw new ImageFormatException($"size mismatch: blob {expectedDigest} is larger than the declared {max} bytes");
                    }
                }

                file.Flush(flushToDisk: true);
            }

            var digest = Digests.Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
            if (expectedDigest is not null && !string.Equals(digest, expectedDigest, StringComparison.Ordinal))
            {
                throw new ImageFormatException($"digest mismatch: expected {expectedDigest}, got {digest}");
            }

            if (expectedSize is { } want && size != want)
            {
                throw new ImageFormatException($"size mismatch: blob {digest} has {size} bytes, the descriptor says {want}");
            }

            var final = PathOf(digest);
            if (File.Exists(final))
            {
                File.Delete(temp); // same content is already stored
            }
            else
            {
                File.Move(temp, final, overwrite: true);
                FileSync.Directory(_blobDir);
            }

            return new StoredBlob(digest, size);
        }
        catch
        {
            FileSync.TryDeleteFile(temp);
            throw;
        }
    }

    /// <summary>
    /// Stores an already written file (a staged archive entry on the store's filesystem) without copying it: hashes and
    /// verifies it like <see cref="WriteAsync(Stream, string?, CancellationToken, long?)"/>, then hard-links it into place
    /// after an fsync. The file itself is left where it is, so other names for it stay valid. Created is false when the
    /// store already held the blob. <paramref name="digestAsWritten"/>: the sha256 the caller computed while it wrote the
    /// file (in a directory only it writes to), which spares reading the file again.
    /// </summary>
    public async Task<(StoredBlob Blob, bool Created)> AdoptAsync(string path, string? expectedDigest, long? expectedSize, CancellationToken ct,
        string? digestAsWritten = null)
    {
        if (expectedDigest is not null)
        {
            Digests.Hex(expectedDigest, "expected digest");
        }

        var size = new FileInfo(path).Length;
        if (expectedSize is { } want && size != want)
        {
            throw new ImageFormatException($"size mismatch: blob {expectedDigest} has {size} bytes, the descriptor says {want}");
        }

        string digest;
        if (digestAsWritten is not null)
        {
            digest = Digests.Prefix + Digests.Hex(digestAsWritten, "digest as written");
        }
        else
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            digest = Digests.Prefix + Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
        }

        if (expectedDigest is not null && !string.Equals(digest, expectedDigest, StringComparison.Ordinal))
        {
            throw new ImageFormatException($"digest mismatch: expected {expectedDigest}, got {digest}");
        }

        var final = PathOf(digest);
        if (File.Exists(final))
        {
            return (new StoredBlob(digest, size), false);
        }

        var temp = Path.Combine(_blobDir, $".{Guid.NewGuid():N}.tmp");
        try
        {
            FileSync.FlushFile(path);
            if (!FileSync.TryHardLink(path, temp))
            {
                // another filesystem (EXDEV) or one without hard links: copy after all
                await using var copy = File.OpenRead(path);
                return (await WriteAsync(copy, digest, ct, size), true);
            }

            File.Move(temp, final, overwrite: true);
            FileSync.Directory(_blobDir);
        }
        catch
        {
            FileSync.TryDeleteFile(temp);
            throw;
        }

        return (new StoredBlob(digest, size), true);
    }

    public async Task<StoredBlob> WriteAsync(ReadOnlyMemory<byte> data, string? expectedDigest, CancellationToken ct)
    {
        await using var stream = new MemoryStream(data.ToArray(), writable: false);
        return await WriteAsync(stream, expectedDigest, ct);
    }
}
