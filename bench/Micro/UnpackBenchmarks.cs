using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using BenchmarkDotNet.Attributes;
using ContainerConsole.Images;
using ContainerConsole.Images.Layers;

namespace ContainerConsole.Bench.Micro;

/// <summary>
/// LayerUnpacker on one layer as `docker load` and `docker pull` store it: 3,000 small files in 150 directories,
/// 50 symlinks and 4 large files (8 MiB each), ~44 MiB of files, plain tar and gzip. Each run unpacks into a new directory
/// (rename into place and syncfs included, as the store does), on tmpfs (the unpacker's own cost) and on the disk
/// (the temp directory's file system, ext4 here). The disk's directories are removed only when the whole run ends: this
/// VM's ext4 has no journal, and then its inode allocator skips inodes deleted in the last minutes, scanning for free
/// ones (recently_deleted); with ~3,000 files removed between iterations that scan took over half of the time.
/// </summary>
[MemoryDiagnoser]
public class UnpackBenchmarks
{
    public enum Layer { Tar, Gzip }

    public enum FileSystem { Tmpfs, Disk }

    [Params(Layer.Tar, Layer.Gzip)]
    public Layer Format { get; set; }

    [Params(FileSystem.Tmpfs, FileSystem.Disk)]
    public FileSystem Target { get; set; }

    private Scratch _scratch = null!;
    private byte[] _layer = [];
    private string _layers = "";
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _scratch = Target == FileSystem.Tmpfs ? new Scratch("/dev/shm") : new Scratch();
        _layers = _scratch.Sub("layers");
        var tar = BuildTar();
        if (Format == Layer.Tar)
        {
            _layer = tar;
            return;
        }
        using var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(tar);
        _layer = gz.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Target == FileSystem.Disk)
            _scratch.DisposeLater();
        else
            _scratch.Dispose();
    }

    [Benchmark]
    public Task<UnpackedLayer> Unpack() =>
        new LayerUnpacker().UnpackAsync(new MemoryStream(_layer, writable: false), Path.Combine(_layers, (_next++).ToString()), CancellationToken.None);

    private static byte[] BuildTar()
    {
        var random = new Random(7);
        var words = "the of and to in is for on that with as by at from this be are or an it not config lib share usr bin".Split(' ');
        var mtime = new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            void Add(TarEntry e)
            {
                e.ModificationTime = mtime;
                w.WriteEntry(e);
            }
            void File(string name, byte[] data, UnixFileMode mode)
            {
                Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = mode });
            }
            const UnixFileMode dirMode = (UnixFileMode)0x1ED; // 0755
            Add(new PaxTarEntry(TarEntryType.Directory, "usr/") { Mode = dirMode });
            Add(new PaxTarEntry(TarEntryType.Directory, "usr/lib/") { Mode = dirMode });
            for (var d = 0; d < 150; d++)
            {
                var dir = $"usr/lib/pkg{d:000}/";
                Add(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = dirMode });
                Add(new PaxTarEntry(TarEntryType.Directory, dir + "data/") { Mode = dirMode });
                for (var f = 0; f < 20; f++)
                {
                    var text = new StringBuilder();
                    var size = random.Next(100, 8_000);
                    while (text.Length < size)
                        text.Append(words[random.Next(words.Length)]).Append(random.Next(8) == 0 ? '\n' : ' ');
                    File($"{dir}{(f % 2 == 0 ? "data/" : "")}file{f:00}.py", Encoding.ASCII.GetBytes(text.ToString()), (UnixFileMode)0x1A4); // 0644
                }
                if (d % 3 == 0)
                    Add(new PaxTarEntry(TarEntryType.SymbolicLink, $"{dir}link") { LinkName = "file01.py" });
            }
            Add(new PaxTarEntry(TarEntryType.Directory, "usr/bin/") { Mode = dirMode });
            for (var b = 0; b < 4; b++)
            {
                // half incompressible, half repetitive: roughly how binaries compress
                var data = new byte[8 << 20];
                for (var block = 0; block < data.Length; block += 4096)
                {
                    var span = data.AsSpan(block, 4096);
                    if (block / 4096 % 2 == 0)
                        random.NextBytes(span);
                    else
                        span.Fill((byte)(block / 4096));
                }
                File($"usr/bin/tool{b}", data, (UnixFileMode)0x1ED);
            }
        }
        return ms.ToArray();
    }
}
