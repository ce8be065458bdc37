using System.Text.Json;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>The agent's per-container directory: container.json, the OCI bundle, overlay upper/work, log, exit record.</summary>
public sealed class ContainerStore(string containersDir)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Dir(string id) => Path.Combine(containersDir, id);
    public string Bundle(string id) => Path.Combine(Dir(id), "bundle");
    public string Upper(string id) => Path.Combine(Dir(id), "upper");
    public string Work(string id) => Path.Combine(Dir(id), "work");
    public string Log(string id) => Path.Combine(Dir(id), "container.log");
    public string ExitFile(string id) => Path.Combine(Dir(id), "exit.json");
    public string PidFile(string id) => Path.Combine(Dir(id), "init.pid");
    public string RuntimeLog(string id) => Path.Combine(Dir(id), "runtime.log");
    public string ExecDir(string id, string execId) => Path.Combine(Dir(id), "exec", execId);
    public string ExecExitFile(string id, string execId) => Path.Combine(ExecDir(id, execId), "exit.json");

    public void Save(ContainerModel c) =>
        AtomicFile.Write(Path.Combine(Dir(c.Id), "container.json"), JsonSerializer.SerializeToUtf8Bytes(c, Json));

    public IEnumerable<ContainerModel> LoadAll()
    {
        if (!Directory.Exists(containersDir))
            yield break;
        foreach (var dir in Directory.EnumerateDirectories(containersDir))
        {
            var file = Path.Combine(dir, "container.json");
            if (!File.Exists(file))
                continue;
            ContainerModel? c;
            try
            {
                c = JsonSerializer.Deserialize<ContainerModel>(File.ReadAllBytes(file), Json);
            }
            catch (JsonException)
            {
                continue; // atomic writes make this a foreign file, not a torn one
            }
            if (c is not null)
                yield return c;
        }
    }

    public ExitRecord? ReadExit(string id) => ReadExitFile(ExitFile(id));

    public ExitRecord? ReadExitFile(string file)
    {
        if (!File.Exists(file))
            return null;
        return JsonSerializer.Deserialize<ExitRecord>(File.ReadAllBytes(file));
    }

    public void Remove(string id)
    {
        // An exec's monitor may still be writing its exit record as the container goes: try again briefly.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(Dir(id)))
                    Directory.Delete(Dir(id), recursive: true);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                Thread.Sleep(50);
            }
        }
    }
}
