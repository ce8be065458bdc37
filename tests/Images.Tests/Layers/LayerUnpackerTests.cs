using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ContainerConsole.Images.Layers;

namespace ContainerConsole.Images.Tests.Layers;

public sealed class LayerUnpackerTests : IDisposable
{
    private static readonly DateTimeOffset T1 = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly DateTimeOffset T2 = new(2019, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly string _base = Path.Combine(Path.GetTempPath(), "cc-layer-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _target;

    public LayerUnpackerTests()
    {
        Directory.CreateDirectory(_base);
        _target = Path.Combine(_base, "layer");
    }

    public void Dispose()
    {
        try { Directory.Delete(_base, recursive: true); } catch (IOException) { }
    }

    // ---------- tar building ----------

    private static PaxTarEntry Dir(string name, int mode = 0x1ED, int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        new(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? T1 };

    private static PaxTarEntry File(string name, string content, int mode = 0x1A4, int uid = 0, int gid = 0,
        DateTimeOffset? mtime = null, Dictionary<string, string>? pax = null) =>
        new(TarEntryType.RegularFile, name, pax ?? [])
        {
            Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? T1,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        };

    private static PaxTarEntry Link(TarEntryType type, string name, string target, int uid = 0, int gid = 0) =>
        new(type, name) { LinkName = target, Uid = uid, Gid = gid, ModificationTime = T1, Mode = (UnixFileMode)0x1FF };

    private static byte[] Tar(params TarEntry[] entries)
    {
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var e in entries)
                w.WriteEntry(e);
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(data);
        return ms.ToArray();
    }

    private static byte[] Zstd(byte[] data)
    {
        using var c = new ZstdSharp.Compressor();
        return c.Wrap(data).ToArray();
    }

    private static string Sha(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private Task<UnpackedLayer> Unpack(byte[] data) =>
        new LayerUnpacker().UnpackAsync(new MemoryStream(data), _target, CancellationToken.None);

    private string P(string rel) => Path.Combine(_target, rel);

    private async Task<ImageFormatException> AssertRejected(byte[] data, string fragment)
    {
        var e = await Assert.ThrowsAsync<ImageFormatException>(() => Unpack(data));
        Assert.Contains(fragment, e.Message);
        Assert.False(Path.Exists(_target), "target directory must not exist after a failure");
        Assert.Empty(Directory.GetFileSystemEntries(_base, "layer.tmp-*"));
        return e;
    }

    // ---------- happy paths ----------

    [RequiresRootFact]
    public async Task Plain_tar_restores_files_dirs_links_modes_owners_times_and_xattrs()
    {
        var tar = Tar(
            Dir("./", mode: 0x1ED),
            Dir("etc/", mode: 0x1E8 /* 0750 */, uid: 1000, gid: 1001, mtime: T2),
            File("etc/conf", "hello world", mode: 0x9ED /* 04755 */, uid: 5, gid: 6, mtime: T2,
                pax: new() { ["SCHILY.xattr.user.note"] = "v1", ["SCHILY.xattr.trusted.overlay.opaque"] = "y" }),
            Link(TarEntryType.SymbolicLink, "etc/link", "/nonexistent/../whatever", uid: 7, gid: 8),
            Link(TarEntryType.HardLink, "etc/hard", "/etc/conf"),
            Dir("tmp/", mode: 0x3FF /* 01777 */),
            File("/abs/deep/file", "abc"),
            File("sgid", "", mode: 0x5ED /* 02755 */));

        var result = await Unpack(tar);

        Assert.Equal(Sha(tar), result.DiffId);
        Assert.Equal(11 + 3, result.Size);
        Assert.Empty(Directory.GetFileSystemEntries(_base, "layer.tmp-*"));

        Assert.Equal("hello world", System.IO.File.ReadAllText(P("etc/conf")));
        var conf = Xattr.LStat(P("etc/conf"))!.Value;
        Assert.Equal(0x8000u | 0x9ED, conf.Mode);
        Assert.Equal((5u, 6u), (conf.Uid, conf.Gid));
        Assert.Equal(T2.UtcDateTime, System.IO.File.GetLastWriteTimeUtc(P("etc/conf")));
        Assert.Equal("v1"u8.ToArray(), Xattr.Get(P("etc/conf"), "user.note"));
        Assert.Null(Xattr.Get(P("etc/conf"), "trusted.overlay.opaque")); // never taken from the tar

        var etc = Xattr.LStat(P("etc"))!.Value;
        Assert.Equal(0x4000u | 0x1E8, etc.Mode);
        Assert.Equal((1000u, 1001u), (etc.Uid, etc.Gid));
        Assert.Equal(T2.UtcDateTime, Directory.GetLastWriteTimeUtc(P("etc"))); // set after its children

        var link = Xattr.LStat(P("etc/link"))!.Value;
        Assert.Equal(0xA000u, link.Mode & 0xF000);
        Assert.Equal((7u, 8u), (link.Uid, link.Gid));
        Assert.Equal("/nonexistent/../whatever", new FileInfo(P("etc/link")).LinkTarget);

        var hard = Xattr.LStat(P("etc/hard"))!.Value;
        Assert.Equal(conf.Ino, hard.Ino);
        Assert.Equal(2ul, hard.Nlink);

        Assert.Equal(0x4000u | 0x3FF, Xattr.LStat(P("tmp"))!.Value.Mode);
        Assert.Equal(0x8000u | 0x5ED, Xattr.LStat(P("sgid"))!.Value.Mode);
        Assert.Equal("abc", System.IO.File.ReadAllText(P("abs/deep/file")));
        Assert.Equal(0x4000u | 0x1ED, Xattr.LStat(P("abs"))!.Value.Mode);
    }

    [RequiresRootFact]
    public async Task Gzip_and_zstd_layers_have_the_diff_id_of_the_plain_tar()
    {
        var tar = Tar(Dir("d/"), File("d/f", new string('x', 200_000)));
        foreach (var (compressed, i) in new[] { Gzip(tar), Zstd(tar) }.Select((c, i) => (c, i)))
        {
            Assert.NotEqual(tar.Length, compressed.Length);
            var target = _target + i;
            var r = await new LayerUnpacker().UnpackAsync(new MemoryStream(compressed), target, CancellationToken.None);
            Assert.Equal(Sha(tar), r.DiffId);
            Assert.Equal(200_000, r.Size);
            Assert.Equal(200_000, new FileInfo(Path.Combine(target, "d/f")).Length);
        }
    }

    [RequiresRootFact]
    public async Task The_callers_input_digest_is_the_diff_id_of_a_plain_layer_only_and_is_asked_for_after_the_end()
    {
        var tar = Tar(File("f", "data"));
        var input = new MemoryStream(tar);
        var fromCaller = "sha256:" + new string('c', 64);
        var askedAt = -1L;
        var plain = await new LayerUnpacker().UnpackAsync(input, _target + "p", CancellationToken.None, () =>
        {
            askedAt = input.Position;
            return fromCaller;
        });
        Assert.Equal(fromCaller, plain.DiffId);
        Assert.Equal(tar.Length, askedAt);

        var gz = await new LayerUnpacker().UnpackAsync(new MemoryStream(Gzip(tar)), _target + "g", CancellationToken.None, () => fromCaller);
        Assert.Equal(Sha(tar), gz.DiffId); // the digest of a compressed input is not its diff id
    }

    [RequiresRootFact]
    public async Task Whiteouts_become_overlayfs_char_devices_and_opaque_xattrs()
    {
        var tar = Tar(
            Dir("a/"),
            File("a/.wh.gone", "", uid: 0),
            Dir("b/"),
            File("b/.wh..wh..opq", ""),
            File("c/.wh..wh..opq", ""), // marker before (without) its directory entry
            File(".wh..wh.plnk", ""));

        await Unpack(tar);

        var wh = Xattr.LStat(P("a/gone"))!.Value;
        Assert.Equal(0x2000u, wh.Mode & 0xF000);
        Assert.Equal(0ul, wh.Rdev);
        Assert.False(Path.Exists(P("a/.wh.gone")));
        Assert.Equal("y"u8.ToArray(), Xattr.Get(P("b"), "trusted.overlay.opaque"));
        Assert.Equal("y"u8.ToArray(), Xattr.Get(P("c"), "trusted.overlay.opaque"));
        Assert.False(Path.Exists(P("b/.wh..wh..opq")));
        Assert.False(Path.Exists(P(".wh..wh.plnk")));
        Assert.Null(Xattr.Get(P("a"), "trusted.overlay.opaque"));
    }

    [RequiresRootFact]
    public async Task Later_entries_win_file_replaces_directory()
    {
        var tar = Tar(Dir("x/"), File("x/inner", "1"), File("x", "now a file"), File("y", "old"), File("y", "new"));
        await Unpack(tar);
        Assert.Equal("now a file", System.IO.File.ReadAllText(P("x")));
        Assert.Equal("new", System.IO.File.ReadAllText(P("y")));
    }

    [RequiresRootFact]
    public async Task Directory_entry_replaces_an_earlier_symlink_instead_of_following_it()
    {
        var before = Directory.GetFileSystemEntries("/etc").Length;
        await Unpack(Tar(Link(TarEntryType.SymbolicLink, "evil", "/etc"), Dir("evil/"), File("evil/f", "x")));
        Assert.Equal(0x4000u, Xattr.LStat(P("evil"))!.Value.Mode & 0xF000);
        Assert.Equal("x", System.IO.File.ReadAllText(P("evil/f")));
        Assert.False(System.IO.File.Exists("/etc/f"));
        Assert.Equal(before, Directory.GetFileSystemEntries("/etc").Length);
    }

    [RequiresRootFact]
    public async Task Existing_target_is_an_IOException()
    {
        Directory.CreateDirectory(_target);
        await Assert.ThrowsAsync<IOException>(() => Unpack(Tar(File("f", "x"))));
        Assert.Empty(Directory.GetFileSystemEntries(_base, "layer.tmp-*"));
    }

    // ---------- hostile input ----------

    [RequiresRootFact]
    public Task Dotdot_path_is_rejected() => AssertRejected(Tar(File("../x", "x")), "layer entry \"../x\": path escapes the layer");

    [RequiresRootFact]
    public Task Inner_dotdot_climbing_above_root_is_rejected() =>
        AssertRejected(Tar(File("a/../../x", "x")), "path escapes the layer");

    [RequiresRootFact]
    public async Task Writing_through_an_absolute_symlink_is_rejected_and_host_untouched()
    {
        var before = System.IO.File.ReadAllBytes("/etc/passwd");
        var mtime = System.IO.File.GetLastWriteTimeUtc("/etc/passwd");
        await AssertRejected(Tar(Link(TarEntryType.SymbolicLink, "evil", "/etc"), File("evil/passwd", "pwned")),
            "layer entry \"evil/passwd\": path goes through symlink");
        Assert.Equal(before, System.IO.File.ReadAllBytes("/etc/passwd"));
        Assert.Equal(mtime, System.IO.File.GetLastWriteTimeUtc("/etc/passwd"));
    }

    [RequiresRootFact]
    public async Task Writing_through_a_relative_escaping_symlink_is_rejected()
    {
        var escaped = Path.GetFullPath(Path.Combine(_target, "../../..", "x-" + Guid.NewGuid().ToString("N")));
        await AssertRejected(
            Tar(Link(TarEntryType.SymbolicLink, "evil", "../../.."), File("evil/" + Path.GetFileName(escaped), "x")),
            "path goes through symlink");
        Assert.False(Path.Exists(escaped));
    }

    [RequiresRootFact]
    public async Task A_directory_replaced_by_a_symlink_is_not_written_through()
    {
        // "d" was a real directory for the first files; once a symlink replaces it, files below it must be refused.
        var before = Directory.GetFileSystemEntries("/etc").Length;
        await AssertRejected(
            Tar(Dir("d/"), File("d/a", "x"), File("d/sub/b", "y"), Link(TarEntryType.SymbolicLink, "d", "/etc"), File("d/cc-unpack-test", "z")),
            "path goes through symlink");
        Assert.False(System.IO.File.Exists("/etc/cc-unpack-test"));
        Assert.Equal(before, Directory.GetFileSystemEntries("/etc").Length);
    }

    [RequiresRootFact]
    public Task A_directory_replaced_by_a_file_is_no_parent() =>
        AssertRejected(Tar(File("d/sub/a", "x"), File("d", "now a file"), File("d/sub/b", "y")), "is not a directory");

    [RequiresRootFact]
    public async Task A_file_replaced_by_a_later_file_gets_the_later_metadata()
    {
        await Unpack(Tar(File("f", "first, longer", mode: 0x1FF, uid: 5), File("f", "second", mode: 0x180, uid: 6, gid: 7, mtime: T2)));
        Assert.Equal("second", System.IO.File.ReadAllText(P("f")));
        var st = Xattr.LStat(P("f"))!.Value;
        Assert.Equal(0x180u, st.Mode & 0xFFF);
        Assert.Equal((6u, 7u), (st.Uid, st.Gid));
        Assert.Equal(T2, new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(P("f"))));
    }

    [RequiresRootFact]
    public Task Writing_through_a_symlink_to_an_inner_directory_is_rejected() =>
        AssertRejected(Tar(Dir("real/"), Link(TarEntryType.SymbolicLink, "alias", "real"), File("alias/f", "x")),
            "path goes through symlink");

    [RequiresRootFact]
    public Task File_below_a_regular_file_is_rejected() =>
        AssertRejected(Tar(File("a", "x"), File("a/b", "y")), "is not a directory");

    [RequiresRootFact]
    public Task Hardlink_escaping_the_layer_is_rejected() =>
        AssertRejected(Tar(Link(TarEntryType.HardLink, "h", "../../etc/passwd")), "escapes the layer");

    [RequiresRootFact]
    public Task Hardlink_to_a_host_absolute_path_not_in_the_layer_is_rejected() =>
        AssertRejected(Tar(Link(TarEntryType.HardLink, "h", "/etc/passwd")), "is not a regular file extracted by this layer");

    [RequiresRootFact]
    public Task Hardlink_to_missing_target_is_rejected() =>
        AssertRejected(Tar(File("a", "x"), Link(TarEntryType.HardLink, "h", "missing")), "layer entry \"h\"");

    [RequiresRootFact]
    public Task Hardlink_to_a_directory_is_rejected() =>
        AssertRejected(Tar(Dir("d/"), Link(TarEntryType.HardLink, "h", "d")), "is not a regular file");

    [RequiresRootFact]
    public Task Hardlink_through_a_symlink_is_rejected() =>
        AssertRejected(Tar(Link(TarEntryType.SymbolicLink, "s", "/etc"), Link(TarEntryType.HardLink, "h", "s/passwd")),
            "is not a regular file");

    [RequiresRootFact]
    public Task Character_device_is_rejected() =>
        AssertRejected(Tar(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3 }),
            "layer entry \"dev/null\": CharacterDevice entries are not allowed");

    [RequiresRootFact]
    public Task Block_device_is_rejected() =>
        AssertRejected(Tar(new PaxTarEntry(TarEntryType.BlockDevice, "sda") { DeviceMajor = 8, DeviceMinor = 0 }), "not allowed");

    [RequiresRootFact]
    public Task Fifo_is_rejected() => AssertRejected(Tar(new PaxTarEntry(TarEntryType.Fifo, "p")), "not allowed");

    [RequiresRootFact]
    public Task Truncated_tar_is_rejected()
    {
        var tar = Tar(File("ok", "fine"), File("big", new string('z', 10_000)));
        return AssertRejected(tar[..(tar.Length - 8000)], "truncated layer");
    }

    [RequiresRootFact]
    public Task Truncated_gzip_is_rejected()
    {
        var tar = Tar(File("big", Convert.ToBase64String(RandomNumberGenerator.GetBytes(30_000))));
        var gz = Gzip(tar);
        return AssertRejected(gz[..(gz.Length / 2)], "layer");
    }

    [RequiresRootFact]
    public Task Garbage_is_rejected()
    {
        var garbage = RandomNumberGenerator.GetBytes(4096);
        garbage[0] = 0x42;
        return AssertRejected(garbage, "malformed layer");
    }

    [RequiresRootFact]
    public Task Garbage_gzip_payload_is_rejected()
    {
        var garbage = RandomNumberGenerator.GetBytes(4096);
        garbage[0] = 0x1f;
        garbage[1] = 0x8b;
        return AssertRejected(garbage, "layer");
    }

    [RequiresRootFact]
    public Task Empty_stream_is_rejected() => AssertRejected([], "empty layer");

    [RequiresRootFact]
    public async Task Cancellation_leaves_nothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new LayerUnpacker().UnpackAsync(new MemoryStream(Tar(File("f", "x"))), _target, cts.Token));
        Assert.False(Path.Exists(_target));
        Assert.Empty(Directory.GetFileSystemEntries(_base, "layer.tmp-*"));
    }
}
