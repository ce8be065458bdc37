using System.Security.Cryptography;

namespace ContainerConsole.Images.Store;

/// <summary>sha256 digests: the only algorithm accepted, so a digest can never name anything but a 64-hex file.</summary>
public static class Digests
{
    public const string Prefix = "sha256:";

    public static bool IsValid(string? digest) =>
        digest is { Length: 71 } && digest.StartsWith(Prefix, StringComparison.Ordinal) && IsHex64(digest.AsSpan(7));

    public static bool IsHex64(ReadOnlySpan<char> hex)
    {
        if (hex.Length != 64)
        {
            return false;
        }

        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Returns the 64-hex part or throws <see cref="ImageFormatException"/>.</summary>
    public static string Hex(string? digest, string what = "digest")
    {
        if (!IsValid(digest))
        {
            throw new ImageFormatException($"{what}: invalid digest \"{digest}\" (only sha256:<64 lowercase hex> is accepted)");
        }

        return digest![7..];
    }

    public static string Of(ReadOnlySpan<byte> data) => Prefix + Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Of(string text) => Of(System.Text.Encoding.UTF8.GetBytes(text));
}
