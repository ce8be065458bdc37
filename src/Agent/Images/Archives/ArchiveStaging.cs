using System.Formats.Tar;
using System.IO.Compression;

namespace ContainerConsole.Images.Archives;

/// <summary>
/// Stages the regular files of an image archive (plain or gzip tar) into a private directory under numbered names,
/// so entry names are only ever dictionary keys and can never steer a write outside the staging directory.
/// Symbolic and hard links between entries (old <c>docker save</c> format) become aliases.
/// </summary>
public sealed class ArchiveStaging : IDisposable
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly List<StagedEntry> _entries = [];
    private readonly List<string> _escaping = [];

    private ArchiveStaging(string dir) => Directory = dir;

    public string Directory { get; }

    public IEnumerable<string> Names => _files.Keys;

    /// <summary>Every entry with a usable name, in archive order, with its metadata (for trees rebuilt from the archive).</summary>
    public IReadOnlyList<StagedEntry> Entries => _entries;

    /// <summary>Names of entries that point outside the archive root ("../x"); they are not staged.</summary>
    public IReadOnlyList<string> EscapingNames => _escaping;

    public static async Task<ArchiveStaging> ExtractAsync(Stream archive, string dir, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(dir);
        var staging = new ArchiveStaging(dir);
        try
        {
            var input = await ArchiveCompression.DecompressIfGzipAsync(archive, ct);
            var links = new List<(string Name, string Target)>();
            await using var reader = new TarReader(input, leaveOpen: true);
            var n = 0;
            try
            {
                while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
                {
                    var name = NormalizeName(entry.Name, null);
                    if (name is null)
                    {
                        if (Layers.LayerUnpacker.Normalize(entry.Name) is null)
                        {
                            staging._escaping.Add(entry.Name);
                        }

                        continue;
                    }

                    staging._entries.Add(new StagedEntry(name, entry.EntryType, entry.Mode, entry.Uid, entry.Gid, entry.ModificationTime,
                        entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink ? entry.LinkName : null));

                    switch (entry.EntryType)
                    {
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                            var path = Path.Combine(dir, (n++).ToString(System.Globalization.CultureInfo.InvariantCulture));
                            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                            {
                                if (entry.DataStream is { } data)
                                {
                                    await data.CopyToAsync(file, ct);
                                }
                            }

                            staging._files[name] = path;
                            break;
                        case TarEntryType.SymbolicLink:
                            links.Add((name, NormalizeName(entry.LinkName, name) ?? ""));
                            break;
                        case TarEntryType.HardLink:
                            links.Add((name, NormalizeName(entry.LinkName, null) ?? ""));
                            break;
                    }
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new ImageFormatException($"archive: not a valid tar stream: {e.Message}");
            }

            foreach (var (name, target) in links)
            {
                if (staging._files.TryGetValue(target, out var path))
                {
                    staging._files.TryAdd(name, path);
                }
            }

            return staging;
        }
        catch
        {
            staging.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => NormalizeName(name, null) is { } n && _files.ContainsKey(n);

    /// <summary>The staged file for an archive path, or null.</summary>
    public string? PathOf(string name) => NormalizeName(name, null) is { } n && _files.TryGetValue(n, out var p) ? p : null;

    public byte[] ReadSmall(string name, string what, long max = 16 << 20)
    {
        var path = PathOf(name) ?? throw new ImageFormatException($"{what}: \"{name}\" is missing from the archive");
        if (new FileInfo(path).Length > max)
        {
            throw new ImageFormatException($"{what}: \"{name}\" is larger than {max} bytes");
        }

        return File.ReadAllBytes(path);
    }

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Canonical archive path ("a/b"), resolved relative to <paramref name="relativeTo"/>'s directory when given; null if it escapes the root.</summary>
    internal static string? NormalizeName(string? name, string? relativeTo)
    {
        if (string.IsNullOrEmpty(name))
            return null;
        var full = relativeTo is not null && !name.StartsWith('/') ? string.Join('/', relativeTo.Split('/')[..^1].Append(name)) : name;
        var parts = Layers.LayerUnpacker.Normalize(full);
        return parts is null || parts.Count == 0 ? null : string.Join('/', parts);
    }
}

/// <summary>One archive entry: canonical name, type, metadata and (links) the target as written.</summary>
public sealed record StagedEntry(string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, DateTimeOffset ModificationTime, string? LinkName);

/// <summary>Gzip detection for archives (docker save output may be compressed).</summary>
internal static class ArchiveCompression
{
    /// <summary>Wraps <paramref name="input"/> in a gzip decoder when it starts with the gzip magic.</summary>
    public static async Task<Stream> DecompressIfGzipAsync(Stream input, CancellationToken ct)
    {
        var head = new byte[2];
        var got = 0;
        while (got < head.Length)
        {
            var r = await input.ReadAsync(head.AsMemory(got), ct);
            if (r == 0)
                break;
            got += r;
        }
        Stream replay = new Layers.PrefixStream(head[..got], input);
        return got == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(replay, CompressionMode.Decompress) : replay;
    }
}
