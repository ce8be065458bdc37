using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ContainerConsole.Images.Tests.TestSupport;

/// <summary>Test unpacker: gunzips when needed, extracts with TarFile and reports sha256 of the plain tar as DiffId.</summary>
public sealed class FakeLayerUnpacker : ILayerUnpacker
{
    public int Calls { get; private set; }

    public async Task<UnpackedLayer> UnpackAsync(Stream layer, string targetDir, CancellationToken ct)
    {
        Calls++;
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
        return new UnpackedLayer("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length);
    }
}
