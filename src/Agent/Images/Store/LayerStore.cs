using System.Text;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Store;

/// <summary>A layer unpacked in the store.</summary>
public sealed record LayerInfo(string DiffId, long Size, string Path);

/// <summary>A layer unpacked (complete and synced) into a temporary directory of the store, not yet committed.</summary>
public sealed record PreparedLayer(string TempDir, UnpackedLayer Unpacked);

/// <summary>
/// Unpacked layers shared by every image: &lt;root&gt;/layers/&lt;diffid hex&gt;/ with a commit marker
/// &lt;root&gt;/layerdb/&lt;diffid hex&gt; (its unpacked size) and &lt;root&gt;/layerdb/by-blob/&lt;blob hex&gt; (its diff id).
/// </summary>
public sealed class LayerStore
{
    private readonly ILayerUnpacker _unpacker;
    private readonly string _layers;
    private readonly string _db;
    private readonly string _byBlob;

    public LayerStore(string root, ILayerUnpacker unpacker)
    {
        Root = System.IO.Path.GetFullPath(root);
        _unpacker = unpacker;
        _layers = System.IO.Path.Combine(Root, "layers");
        _db = System.IO.Path.Combine(Root, "layerdb");
        _byBlob = System.IO.Path.Combine(_db, "by-blob");
        Directory.CreateDirectory(_layers);
        FileSync.TryMarkTopDirectory(_layers);
        Directory.CreateDirectory(_byBlob);
    }

    public string Root { get; }

    /// <summary>chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).</summary>
    public static string ChainId(IReadOnlyList<string> diffIds)
    {
        if (diffIds.Count == 0)
        {
            throw new ArgumentException("an image has at least one layer", nameof(diffIds));
        }

        var chain = diffIds[0];
        for (var i = 1; i < diffIds.Count; i++)
        {
            chain = Digests.Of(chain + " " + diffIds[i]);
        }

        return chain;
    }

    public string PathOf(string diffId) => System.IO.Path.Combine(_layers, Digests.Hex(diffId, "diff id"));

    public bool Exists(string diffId) =>
        Digests.IsValid(diffId) && Directory.Exists(PathOf(diffId)) && File.Exists(MarkerOf(diffId));

    public LayerInfo? Get(string diffId)
    {
        if (!Exists(diffId))
        {
            return null;
        }

        long.TryParse(File.ReadAllText(MarkerOf(diffId)).Trim(), out var size);
        return new LayerInfo(diffId, size, PathOf(diffId));
    }

    /// <summary>The diff id already known for a (possibly compressed) layer blob, if its layer is present.</summary>
    public string? DiffIdOfBlob(string blobDigest)
    {
        var file = System.IO.Path.Combine(_byBlob, Digests.Hex(blobDigest, "layer digest"));
        if (!File.Exists(file))
        {
            return null;
        }

        var diffId = File.ReadAllText(file).Trim();
        return Exists(diffId) ? diffId : null;
    }

    /// <summary>All diff ids of committed layers.</summary>
    public IEnumerable<string> List() =>
        Directory.EnumerateFiles(_db).Select(System.IO.Path.GetFileName).Where(n => Digests.IsHex64(n)).Select(n => Digests.Prefix + n);

    /// <summary>
    /// Unpacks the layer blob <paramref name="blobDigest"/> (read from <paramref name="openBlob"/>) unless a layer
    /// for that blob is already present. When <paramref name="expectedDiffId"/> is given the unpacked diff id must match,
    /// else <see cref="ImageFormatException"/> naming <paramref name="what"/> and nothing is kept.
    /// Returns the layer and whether it was newly created. <paramref name="prepared"/>: the same blob already unpacked by
    /// <see cref="PrepareAsync"/>, committed instead of unpacking again (or removed if not needed).
    /// </summary>
    public async Task<(LayerInfo Layer, bool Created)> AddAsync(string blobDigest, Func<Stream> openBlob, string? expectedDiffId, string what, CancellationToken ct,
        PreparedLayer? prepared = null)
    {
        var known = DiffIdOfBlob(blobDigest);
        if (known is not null)
        {
            if (prepared is not null)
            {
                FileSync.TryDeleteDirectory(prepared.TempDir);
            }

            if (expectedDiffId is not null && known != expectedDiffId)
            {
                throw new ImageFormatException($"{what}: diff id mismatch: config says {expectedDiffId}, layer is {known}");
            }

            return (Get(known)!, false);
        }

        var temp = prepared?.TempDir ?? NewTempDir();
        try
        {
            var unpacked = prepared?.Unpacked;
            if (unpacked is null)
            {
                await using var blob = openBlob();
                unpacked = await _unpacker.UnpackAsync(blob, temp, ct);
            }

            if (expectedDiffId is not null && unpacked.DiffId != expectedDiffId)
            {
                throw new ImageFormatException($"{what}: diff id mismatch: config says {expectedDiffId}, layer is {unpacked.DiffId}");
            }

            var target = PathOf(unpacked.DiffId);
            var created = false;
            if (Exists(unpacked.DiffId))
            {
                FileSync.TryDeleteDirectory(temp); // the same layer came from another blob (e.g. gzip vs plain)
            }
            else
            {
                FileSync.TryDeleteDirectory(target); // an uncommitted leftover from a crash
                Directory.Move(temp, target);
                FileSync.Directory(_layers);
                AtomicFile.WriteText(MarkerOf(unpacked.DiffId), unpacked.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
                created = true;
            }

            AtomicFile.Write(System.IO.Path.Combine(_byBlob, Digests.Hex(blobDigest)), Encoding.UTF8.GetBytes(unpacked.DiffId));
            return (new LayerInfo(unpacked.DiffId, unpacked.Size, target), created);
        }
        finally
        {
            FileSync.TryDeleteDirectory(temp);
        }
    }

    /// <summary>
    /// Unpacks a layer stream into a temporary directory of the store (removed again on failure), to be committed by
    /// <see cref="AddAsync"/> once its blob is stored and verified. A crash leaves only what <see cref="SweepUncommitted"/> removes.
    /// <paramref name="inputDigest"/>: see <see cref="ILayerUnpacker.UnpackAsync"/>.
    /// </summary>
    public async Task<PreparedLayer> PrepareAsync(Stream layer, Func<string>? inputDigest, CancellationToken ct)
    {
        var temp = NewTempDir();
        try
        {
            return new PreparedLayer(temp, await _unpacker.UnpackAsync(layer, temp, ct, inputDigest));
        }
        catch
        {
            FileSync.TryDeleteDirectory(temp);
            throw;
        }
    }

    private string NewTempDir() => System.IO.Path.Combine(_layers, $".{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Removes what a crash left mid-unpack: temporary directories and layer directories without their commit marker.
    /// Returns how many. Only safe before any unpack starts.
    /// </summary>
    public int SweepUncommitted()
    {
        var n = 0;
        foreach (var dir in Directory.EnumerateDirectories(_layers).ToList())
        {
            var name = System.IO.Path.GetFileName(dir);
            if (Digests.IsHex64(name) && File.Exists(System.IO.Path.Combine(_db, name)))
            {
                continue;
            }

            FileSync.TryDeleteDirectory(dir);
            n++;
        }

        return n;
    }

    /// <summary>Deletes a layer and every blob mapping pointing at it.</summary>
    public void Delete(string diffId)
    {
        FileSync.TryDeleteFile(MarkerOf(diffId)); // uncommit first
        FileSync.TryDeleteDirectory(PathOf(diffId));
        ForgetBlobsOf(diffId);
    }

    /// <summary>Drops the blob → diff id mappings for one layer blob.</summary>
    public void ForgetBlob(string blobDigest) => FileSync.TryDeleteFile(System.IO.Path.Combine(_byBlob, Digests.Hex(blobDigest)));

    /// <summary>overlayfs lowerdir order for an image whose layers are <paramref name="diffIds"/> (base first): topmost first.</summary>
    public IReadOnlyList<string> LowerDirs(IReadOnlyList<string> diffIds)
    {
        var dirs = new List<string>(diffIds.Count);
        for (var i = diffIds.Count - 1; i >= 0; i--)
        {
            if (!Exists(diffIds[i]))
            {
                throw new InvalidOperationException($"layer {diffIds[i]} is not unpacked");
            }

            dirs.Add(PathOf(diffIds[i]));
        }

        return dirs;
    }

    private string MarkerOf(string diffId) => System.IO.Path.Combine(_db, Digests.Hex(diffId, "diff id"));

    private void ForgetBlobsOf(string diffId)
    {
        foreach (var file in Directory.EnumerateFiles(_byBlob))
        {
            try
            {
                if (File.ReadAllText(file).Trim() == diffId)
                {
                    FileSync.TryDeleteFile(file);
                }
            }
            catch (IOException)
            {
            }
        }
    }
}
