using System.Text.Json;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.State;

/// <summary>What the runtime keeps per container under --root/ID/state.json.</summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public int InitPid { get; set; }
    public ulong InitStartTime { get; set; }
    public DateTime Created { get; set; }
    public bool Started { get; set; }
    public string CgroupsPath { get; set; } = "";
    public RuntimeSpec Config { get; set; } = new();

    /// <summary>Config as JSON, when it is known to match Config (as read from the bundle); cleared by changes.</summary>
    public byte[]? ConfigJson { get; set; }
}

/// <summary>The runtime's --root directory: one directory per container.</summary>
public sealed class StateStore(string root)
{
    public string Root { get; } = root;

    public string DirOf(string id) => Path.Combine(Root, id);
    public string FifoOf(string id) => Path.Combine(Root, id, "exec.fifo");
    public string SeccompCacheDir => Path.Combine(Root, ".seccomp-cache");

    public bool Exists(string id) => File.Exists(Path.Combine(DirOf(id), "state.json"));

    public ContainerRecord Load(string id)
    {
        SpecValidator.ValidateId(id);
        var file = Path.Combine(DirOf(id), "state.json");
        if (!File.Exists(file))
            throw new ContainerNotFoundException(id);
        try
        {
            return StateFile.Read(File.ReadAllBytes(file));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new SpecValidationException($"{file}: unreadable state: {e.Message}");
        }
    }

    public void Save(ContainerRecord record) =>
        AtomicFile.Write(Path.Combine(DirOf(record.Id), "state.json"), StateFile.Write(record));

    public IEnumerable<string> List() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(n => n is not null && Exists(n)).Select(n => n!)
            : [];

    public void Remove(string id)
    {
        var dir = DirOf(id);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }
}
