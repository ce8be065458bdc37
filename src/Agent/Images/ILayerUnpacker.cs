namespace ContainerConsole.Images;

/// <summary>An unpacked layer: its diff id (sha256 of the uncompressed tar) and unpacked size.</summary>
public sealed record UnpackedLayer(string DiffId, long Size);

/// <summary>Unpacks one layer tar (plain, gzip or zstd) into a new directory in overlayfs form, or fails leaving nothing.</summary>
public interface ILayerUnpacker
{
    /// <param name="inputDigest">
    /// The sha256 digest of the whole input, which the caller computes itself as it feeds <paramref name="layer"/> and
    /// can give once the input has been read to its end: the diff id of an uncompressed layer, so it is not hashed twice.
    /// </param>
    Task<UnpackedLayer> UnpackAsync(Stream layer, string targetDir, CancellationToken ct, Func<string>? inputDigest = null);
}

/// <summary>Bad image input (hostile tar, digest mismatch, malformed manifest): the message names the entry or field.</summary>
public sealed class ImageFormatException(string message) : Exception(message);
