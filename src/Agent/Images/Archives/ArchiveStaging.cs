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

    private ArchiveStaging(string dir) => Directory = dir;

    public string Directory { get; }

    public IEnumerable<string> Names => _files.Keys;

    public static async Task<ArchiveStaging> ExtractAsync(Stream archive, string dir, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(dir);
        var staging = new ArchiveStaging(dir);
        try
        {
            var input = await PrefixedStream.DecompressIfGzipAsync(archive, ct);
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
                        continue;
                    }

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
        {
            return null;
        }

        var parts = new List<string>();
        if (relativeTo is not null && !name.StartsWith('/'))
        {
            parts.AddRange(relativeTo.Split('/')[..^1]);
        }

        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}

/// <summary>A read-only stream that replays some already-read bytes before the rest of an inner stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
{
    private int _pos;

    /// <summary>Wraps <paramref name="input"/> in a gzip decoder when it starts with the gzip magic.</summary>
    public static async Task<Stream> DecompressIfGzipAsync(Stream input, CancellationToken ct)
    {
        var head = new byte[2];
        var got = 0;
        while (got < head.Length)
        {
            var r = await input.ReadAsync(head.AsMemory(got), ct);
            if (r == 0)
            {
                break;
            }

            got += r;
        }

        Stream replay = new PrefixedStream(head[..got], input);
        return got == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GZipStream(replay, CompressionMode.Decompress) : replay;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_pos < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _pos);
            prefix.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }

        return inner.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pos < prefix.Length)
        {
            return Read(buffer.Span);
        }

        return await inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
