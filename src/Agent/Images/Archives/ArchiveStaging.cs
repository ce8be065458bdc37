using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Security.Cryptography;

namespace ContainerConsole.Images.Archives;

/// <summary>
/// Stages the regular files of an image archive (plain or gzip tar) into a private directory under numbered names,
/// so entry names are only ever dictionary keys and can never steer a write outside the staging directory.
/// Symbolic and hard links between entries (old <c>docker save</c> format) become aliases.
/// Every staged file is sha256-hashed as it is written, so it need not be read again to be verified.
/// </summary>
public sealed class ArchiveStaging : IDisposable
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _digests = new(StringComparer.Ordinal);
    private readonly List<StagedEntry> _entries = [];
    private readonly List<string> _escaping = [];

    private ArchiveStaging(string dir) => Directory = dir;

    public string Directory { get; }

    public IEnumerable<string> Names => _files.Keys;

    /// <summary>Every entry with a usable name, in archive order, with its metadata (for trees rebuilt from the archive).</summary>
    public IReadOnlyList<StagedEntry> Entries => _entries;

    /// <summary>Names of entries that point outside the archive root ("../x"); they are not staged.</summary>
    public IReadOnlyList<string> EscapingNames => _escaping;

    /// <summary>
    /// Stages <paramref name="archive"/> into <paramref name="dir"/>. <paramref name="tee"/>, given an entry's canonical
    /// name, staged path and length, may return a consumer that then reads a copy of the entry's bytes while they are
    /// staged (on another thread: one pass over the archive, e.g. unpacking a layer as it arrives), with a function that
    /// gives the sha256 digest of those bytes once the consumer has read them to their end. A consumer that stops
    /// reading or fails does not stop the staging; its outcome is its own business.
    /// </summary>
    public static async Task<ArchiveStaging> ExtractAsync(Stream archive, string dir, CancellationToken ct,
        Func<string, string, long, Func<Stream, Func<string>, Task>?>? tee = null)
    {
        System.IO.Directory.CreateDirectory(dir);
        var staging = new ArchiveStaging(dir);
        try
        {
            var input = await ArchiveCompression.DecompressIfGzipAsync(archive, ct);
            var links = new List<(string Name, string Target)>();
            await using var reader = new TarReader(input, leaveOpen: true);
            var buffer = new byte[256 * 1024];
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
                            staging._digests[path] = await StageFileAsync(entry.DataStream, path, tee?.Invoke(name, path, entry.Length), buffer, ct);
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

    /// <summary>Writes one entry to <paramref name="path"/> (and to <paramref name="consumer"/>, if any); returns its sha256 digest.</summary>
    private static async Task<string> StageFileAsync(Stream? data, string path, Func<Stream, Func<string>, Task>? consumer, byte[] buffer, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string? digest = null; // set before the copy's end, so the consumer sees it once it has read everything
        PipeWriter? copy = null;
        if (consumer is not null)
        {
            // Large segments and thresholds: fewer thread handoffs between the staging and the consumer.
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, minimumSegmentSize: 128 << 10,
                useSynchronizationContext: false));
            copy = pipe.Writer;
            _ = Task.Run(async () =>
            {
                try
                {
                    await consumer(pipe.Reader.AsStream(leaveOpen: true),
                        () => Volatile.Read(ref digest) ?? throw new InvalidOperationException("entry digest asked for before its end"));
                }
                catch (Exception)
                {
                    // the consumer keeps its own outcome; the staging goes on without it
                }
                finally
                {
                    await pipe.Reader.CompleteAsync();
                }
            }, CancellationToken.None);
        }

        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.None))
            {
                if (data is not null)
                {
                    int read;
                    while ((read = await data.ReadAsync(buffer, ct)) > 0)
                    {
                        if (copy is not null && (await copy.WriteAsync(buffer.AsMemory(0, read), ct)).IsCompleted)
                        {
                            await copy.CompleteAsync(); // the consumer is done reading
                            copy = null;
                        }

                        hash.AppendData(buffer, 0, read);
                        file.Write(buffer, 0, read);
                    }
                }
            }

            Volatile.Write(ref digest, "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()));
            if (copy is not null)
            {
                await copy.CompleteAsync();
            }
        }
        catch (Exception e)
        {
            if (copy is not null)
            {
                await copy.CompleteAsync(e);
            }

            throw;
        }

        return digest;
    }

    /// <summary>The sha256 digest of a staged file's content, computed while it was written.</summary>
    public string DigestOfStaged(string path) => _digests[path];

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
