namespace ContainerConsole.Images;

/// <summary>An unpacked layer: its diff id (sha256 of the uncompressed tar) and unpacked size.</summary>
public sealed record UnpackedLayer(string DiffId, long Size);

/// <summary>Unpacks one layer tar (plain, gzip or zstd) into a new directory in overlayfs form, or fails leaving nothing.</summary>
public interface ILayerUnpacker
{
    Task<UnpackedLayer> UnpackAsync(Stream layer, string targetDir, CancellationToken ct);
}

/// <summary>Bad image input (hostile tar, digest mismatch, malformed manifest): the message names the entry or field.</summary>
public sealed class ImageFormatException(string message) : Exception(message);
