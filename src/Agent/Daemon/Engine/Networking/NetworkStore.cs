using System.Text.Json;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// &lt;data-root&gt;/network: networks/&lt;id&gt;.json (each network with its IPAM state) and sandboxes/&lt;container id&gt;.json
/// (a running container's published ports). Every file is written atomically (rule 4).
/// </summary>
public sealed class NetworkStore(string root)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private string NetworksDir => Path.Combine(root, "networks");
    private string SandboxesDir => Path.Combine(root, "sandboxes");

    public IEnumerable<NetworkRecord> LoadNetworks() => LoadAll<NetworkRecord>(NetworksDir);

    public void Save(NetworkRecord n)
    {
        Directory.CreateDirectory(NetworksDir);
        AtomicFile.Write(Path.Combine(NetworksDir, n.Id + ".json"), JsonSerializer.SerializeToUtf8Bytes(n, Json));
    }

    public void Delete(NetworkRecord n) => File.Delete(Path.Combine(NetworksDir, n.Id + ".json"));

    public IEnumerable<SandboxRecord> LoadSandboxes() => LoadAll<SandboxRecord>(SandboxesDir);

    public SandboxRecord? LoadSandbox(string containerId)
    {
        var file = Path.Combine(SandboxesDir, containerId + ".json");
        return File.Exists(file) ? JsonSerializer.Deserialize<SandboxRecord>(File.ReadAllBytes(file), Json) : null;
    }

    public void Save(SandboxRecord s)
    {
        Directory.CreateDirectory(SandboxesDir);
        AtomicFile.Write(Path.Combine(SandboxesDir, s.ContainerId + ".json"), JsonSerializer.SerializeToUtf8Bytes(s, Json));
    }

    public void DeleteSandbox(string containerId)
    {
        var file = Path.Combine(SandboxesDir, containerId + ".json");
        if (File.Exists(file)) // File.Delete throws when the directory is missing (no container had a sandbox yet)
            File.Delete(file);
    }

    private static IEnumerable<T> LoadAll<T>(string dir)
    {
        if (!Directory.Exists(dir))
            yield break;
        foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
        {
            T? value;
            try
            {
                value = JsonSerializer.Deserialize<T>(File.ReadAllBytes(file), Json);
            }
            catch (JsonException)
            {
                continue; // atomic writes make this a foreign file, not a torn one
            }
            if (value is not null)
                yield return value;
        }
    }
}

/// <summary>
/// A lock shared by every agent on the host (tests run several side by side): choosing a free subnet and creating its
/// bridge happen under it, so two agents never pick the same subnet. .NET takes an exclusive flock(2) on a file opened
/// with FileShare.None; the kernel drops it when the process dies, so a crash leaves no stale lock.
/// </summary>
public sealed class HostLock : IDisposable
{
    private readonly FileStream _file;

    private HostLock(FileStream file) => _file = file;

    public static HostLock Acquire(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new HostLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
