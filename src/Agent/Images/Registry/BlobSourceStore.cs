using System.Text.Json;
using ContainerConsole.Images.Store;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Registry;

/// <summary>
/// Which registry repositories a blob is known to be in (it was pulled from or pushed to them), so a push to another
/// repository of the same registry can mount it instead of uploading it. One small JSON file per blob:
/// &lt;root&gt;/distribution/&lt;hex&gt;.json holding ["registry/repository", ...].
/// </summary>
public sealed class BlobSourceStore
{
    private const int MaxSourcesPerBlob = 16;
    private readonly Lock _lock = new();
    private readonly string _dir;

    public BlobSourceStore(string root)
    {
        _dir = Path.Combine(Path.GetFullPath(root), "distribution");
        Directory.CreateDirectory(_dir);
    }

    /// <summary>Repositories (paths, without the registry) of <paramref name="domain"/> that hold the blob.</summary>
    public IReadOnlyList<string> RepositoriesOn(string digest, string domain) =>
        Read(digest).Where(s => s.StartsWith(domain + "/", StringComparison.Ordinal)).Select(s => s[(domain.Length + 1)..]).ToList();

    public void Add(string digest, string domain, string repository)
    {
        var entry = $"{domain}/{repository}";
        lock (_lock)
        {
            var list = Read(digest).Where(s => s != entry).Prepend(entry).Take(MaxSourcesPerBlob).ToList();
            AtomicFile.Write(FileOf(digest), JsonSerializer.SerializeToUtf8Bytes(list, RegistryJsonContext.Default.ListString));
        }
    }

    private string FileOf(string digest) => Path.Combine(_dir, Digests.Hex(digest, "blob digest") + ".json");

    private List<string> Read(string digest)
    {
        var file = FileOf(digest);
        try
        {
            return File.Exists(file) ? JsonSerializer.Deserialize(File.ReadAllBytes(file), RegistryJsonContext.Default.ListString) ?? [] : [];
        }
        catch (JsonException)
        {
            return []; // a damaged hint only costs an upload
        }
    }
}
