using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ContainerConsole.Images.Layers;

namespace ContainerConsole.Images.Build;

/// <summary>
/// The layer cache key of a build step: the parent image, the instruction after substitution, the build args in
/// effect for RUN, and for COPY/ADD a hash of the selected source files (paths, types, modes, owners, contents).
/// Modification times are left out, as Docker does, so a fresh checkout of the same files still hits the cache.
/// </summary>
public static class BuildCacheKey
{
    public static string For(string? parentId, string instruction, IEnumerable<KeyValuePair<string, string>>? buildArgs = null, string? contentHash = null)
    {
        var sb = new StringBuilder();
        sb.Append("parent ").Append(parentId ?? "scratch").Append('\n');
        sb.Append("instruction ").Append(instruction.Length.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(instruction).Append('\n');
        foreach (var (k, v) in (buildArgs ?? []).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            sb.Append("arg ").Append(k.Length.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(k).Append('=').Append(v).Append('\n');
        }

        if (contentHash is not null)
        {
            sb.Append("content ").Append(contentHash).Append('\n');
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Hash of the files (recursively for directories) at <paramref name="sources"/>, symlinks not followed.</summary>
    public static string ContentHash(IEnumerable<string> sources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var source in sources)
        {
            Add(hash, source, Path.GetFileName(source.TrimEnd('/')));
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Add(IncrementalHash hash, string path, string rel)
    {
        var st = Xattr.LStat(path) ?? throw new FileNotFoundException($"{path} vanished while it was hashed");
        var kind = st.Mode & Xattr.S_IFMT;
        var header = string.Create(CultureInfo.InvariantCulture, $"{rel.Length} {rel} {st.Mode:x} {st.Uid} {st.Gid}");
        hash.AppendData(Encoding.UTF8.GetBytes(header));
        if (kind == Xattr.S_IFREG)
        {
            using var f = File.OpenRead(path);
            hash.AppendData(Encoding.ASCII.GetBytes($" {f.Length} "));
            hash.AppendData(SHA256.HashData(f));
        }
        else if (kind == Xattr.S_IFLNK)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(" -> " + (new FileInfo(path).LinkTarget ?? "")));
        }

        hash.AppendData("\n"u8);
        if (kind == Xattr.S_IFDIR)
        {
            foreach (var child in Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            {
                Add(hash, Path.Combine(path, child!), rel.Length == 0 ? child! : rel + "/" + child);
            }
        }
    }
}
