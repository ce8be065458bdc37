using System.Formats.Tar;

namespace ContainerConsole.Bench;

/// <summary>A `docker save` archive of about 100 MB in <see cref="Layers"/> layers of this machine's own files: shared
/// libraries (large), Python modules, documentation and message catalogues (many small), as an application image has.</summary>
public static class LoadArchive
{
    public const string Tag = "ccbench/load:1";
    public const int Layers = 4;
    private const long BytesPerLayer = 25L << 20;
    private static readonly string[] Sources = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/python3", "/usr/share/doc", "/usr/share/locale"];

    public static string Write(string dir)
    {
        var layers = Sources.Select(Layer).ToList();
        var path = Path.Combine(dir, "load.tar");
        File.WriteAllBytes(path, Tests.ImageArchive.DockerSave(Tag, layers, new { Cmd = new[] { "/bin/sh" } }));
        return path;
    }

    /// <summary>Files, directories and symlinks under <paramref name="source"/> in name order, up to <see cref="BytesPerLayer"/>.
    /// A symlink is archived as a symlink and not followed: entries below it would write through it, which a careful
    /// engine refuses.</summary>
    private static byte[] Layer(string source)
    {
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            long total = 0;
            void Walk(string dir)
            {
                foreach (var path in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
                {
                    var info = new FileInfo(path);
                    var isDir = info.LinkTarget is null && info.Attributes.HasFlag(FileAttributes.Directory);
                    if (info.LinkTarget is null && !isDir)
                    {
                        if (total + info.Length > BytesPerLayer)
                            continue;
                        total += info.Length;
                    }
                    tar.WriteEntry(path, path.TrimStart('/'));
                    if (isDir)
                        Walk(path);
                }
            }
            Walk(source);
        }
        return ms.ToArray();
    }
}
