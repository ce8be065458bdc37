using System.Diagnostics;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;

namespace ContainerConsole.Images.Tests.Store;

public sealed class LayerStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_layers_directory_is_marked_as_a_top_directory_where_the_filesystem_has_the_flag()
    {
        var probe = Path.Combine(_dir.Path, "probe");
        Directory.CreateDirectory(probe);
        if (Attributes(probe) is null || Run("chattr", "+T", probe).ExitCode != 0)
        {
            return; // tmpfs and others: no inode flags to set
        }

        var store = new LayerStore(Path.Combine(_dir.Path, "store"), new FakeLayerUnpacker());
        Assert.Contains('T', Attributes(Path.Combine(store.Root, "layers")) ?? "");
    }

    /// <summary>lsattr's flag letters for a directory, or null when the filesystem has none.</summary>
    private static string? Attributes(string dir)
    {
        var (code, output) = Run("lsattr", "-d", dir);
        return code == 0 ? output.Split(' ', 2)[0] : null;
    }

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
