using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ContainerConsole.Images.Tests.TestSupport;

/// <summary>Test unpacker: gunzips when needed, extracts with TarFile and reports sha256 of the plain tar as DiffId.</summary>
public sealed class FakeLayerUnpacker : ILayerUnpacker
{
    private int _calls;

    private int _fromStoredBlobs;

    public int Calls => _calls;

    /// <summary>Unpacks that read a stored blob file (rather than a stream while it arrives).</summary>
    public int FromStoredBlobs => _fromStoredBlobs;

    public async Task<UnpackedLayer> UnpackAsync(Stream layer, string targetDir, CancellationToken ct, Func<string>? inputDigest = null)
    {
        Interlocked.Increment(ref _calls); // speculative unpacks of a load may overlap
        if (layer is FileStream)
        {
            Interlocked.Increment(ref _fromStoredBlobs);
        }

        var buffer = new MemoryStream();
        await layer.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            var plain = new MemoryStream();
            await gz.CopyToAsync(plain, ct);
            bytes = plain.ToArray();
        }

        Directory.CreateDirectory(targetDir);
        await TarFile.ExtractToDirectoryAsync(new MemoryStream(bytes), targetDir, overwriteFiles: false, ct);
        // As the real unpacker: the caller's digest of the input stands for the diff id of a plain layer.
        var notCompressed = !(buffer.Length >= 2 && buffer.GetBuffer()[0] == 0x1f && buffer.GetBuffer()[1] == 0x8b);
        var diffId = notCompressed && inputDigest is not null ? inputDigest() : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        return new UnpackedLayer(diffId, bytes.Length);
    }
}
