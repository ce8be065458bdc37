namespace ContainerConsole.Bench.Micro;

/// <summary>A directory for one benchmark class under <paramref name="parent"/> (the temp path by default).</summary>
internal sealed class Scratch(string? parent = null) : IDisposable
{
    private static readonly List<string> Deferred = [];

    public string Path { get; } = parent is null
        ? Directory.CreateTempSubdirectory("cc-bench-micro-").FullName
        : Directory.CreateDirectory(System.IO.Path.Combine(parent, "cc-bench-micro-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public string Sub(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }

    /// <summary>Removed only when the whole run ends (<see cref="RemoveDeferred"/>), so no benchmark runs right after mass deletes on the disk.</summary>
    public void DisposeLater()
    {
        lock (Deferred)
            Deferred.Add(Path);
    }

    public static void RemoveDeferred()
    {
        lock (Deferred)
        {
            foreach (var dir in Deferred.Where(Directory.Exists))
                Directory.Delete(dir, recursive: true);
            Deferred.Clear();
        }
    }
}
