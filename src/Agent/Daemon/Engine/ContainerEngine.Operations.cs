using ContainerConsole.Agent.Api;
using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Agent.Engine;

/// <summary>Rename, wait conditions, prune, live update, top and stats.</summary>
public sealed partial class ContainerEngine
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes every waiter: a container started, exited or was removed.</summary>
    private void NotifyChanged() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public static string ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw EngineException.BadRequest($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        return name.TrimStart('/');
    }

    public async Task RenameAsync(string idOrName, string newName, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(newName))
            throw EngineException.BadRequest("Neither old nor new names may be empty");
        await _lock.WaitAsync(ct);
        try
        {
            var c = Get(idOrName); // as dockerd: an unknown container is reported before a bad name
            newName = ValidateName(newName);
            if (c.Name == newName)
                throw EngineException.BadRequest("Renaming a container with the same name as its current name");
            if (_containers.Values.Any(x => x.Name == newName))
                throw EngineException.Conflict($"Conflict. The container name \"/{newName}\" is already in use by container \"{_containers.Values.First(x => x.Name == newName).Id}\". You have to remove (or rename) that container to be able to reuse that name.");
            var oldName = c.Name;
            c.Name = newName;
            store.Save(c);
            network.Renamed(c);
            events.Container(c, "rename", ("oldName", "/" + oldName));
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Docker's wait conditions: not-running (now, if already stopped), next-exit (the next exit from now on, even of
    /// a container not yet started), removed. Returns the exit code once the condition holds.
    /// </summary>
    public async Task<int> WaitAsync(string idOrName, string? condition, CancellationToken ct)
    {
        condition = string.IsNullOrEmpty(condition) ? "not-running" : condition;
        if (condition is not ("not-running" or "next-exit" or "removed"))
            throw EngineException.BadRequest($"invalid condition: \"{condition}\"");
        var c = Get(idOrName);
        var finishedAt = c.State.FinishedAt;
        while (true)
        {
            var changed = _changed.Task; // taken before the check, so no change can slip between check and wait
            var removed = !_containers.ContainsKey(c.Id);
            var done = condition switch
            {
                "not-running" => !c.State.IsActive,
                "next-exit" => removed || (!c.State.IsActive && c.State.FinishedAt != finishedAt),
                _ => removed,
            };
            if (done)
                return c.State.ExitCode;
            await changed.WaitAsync(ct);
        }
    }

    public async Task<(List<string> Deleted, long SpaceReclaimed)> PruneAsync(DockerFilters filters, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var deleted = new List<string>();
        long space = 0;
        foreach (var c in _containers.Values.Where(c => !c.State.IsActive).ToList())
        {
            if (!filters.CreatedBefore(new DateTimeOffset(c.Created, TimeSpan.Zero), now) || !filters.MatchesLabels(c.Config.Labels))
                continue;
            var size = DirectorySize(store.Upper(c.Id));
            try
            {
                await RemoveAsync(c.Id, force: false, ct);
            }
            catch (EngineException e)
            {
                log.LogWarning("prune: {Id} not removed: {Message}", c.Id, e.Message);
                continue; // started meanwhile, or already gone
            }
            deleted.Add(c.Id);
            space += size;
        }
        return (deleted, space);
    }

    /// <summary>Bytes of regular files below a directory (a container's writable layer). Symlinks are never followed:
    /// a link to "/" in the layer must not make the agent walk the host.</summary>
    public static long DirectorySize(string dir)
    {
        if (!Directory.Exists(dir))
            return 0;
        long total = 0;
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(dir)]);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = true };
        while (pending.TryPop(out var d))
        {
            foreach (var e in d.EnumerateFileSystemInfos("*", options))
            {
                if (e.LinkTarget is not null)
                    continue;
                if (e is DirectoryInfo sub)
                    pending.Push(sub);
                else if (e is FileInfo f)
                    total += f.Length;
            }
        }
        return total;
    }

    /// <summary>docker update: checks and merges into HostConfig, applies to the live cgroup, persists config and spec.</summary>
    public async Task<List<string>> UpdateAsync(string idOrName, UpdateRequest update, CancellationToken ct)
    {
        var c = Get(idOrName);
        await c.Lock.WaitAsync(ct);
        try
        {
            var hc = System.Text.Json.JsonSerializer.Deserialize<HostConfig>(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(c.HostConfig))!;
            var resources = ContainerUpdate.Merge(hc, update);
            var warnings = new List<string>();
            if (c.State.IsActive && !ContainerUpdate.IsEmpty(resources))
                warnings.AddRange(await runtime.UpdateAsync(c, resources, ct));
            c.HostConfig = hc;
            WriteSpec(c);
            store.Save(c);
            return warnings;
        }
        finally
        {
            c.Lock.Release();
        }
    }

    private ICgroupManager CgroupOf(ContainerModel c) => new CgroupManagerFactory().Create($"/containerconsole/{c.Id}");

    public async Task<ContainerTop.Table> TopAsync(string idOrName, string? psArgs, CancellationToken ct)
    {
        var c = Get(idOrName);
        if (!c.State.IsActive)
            throw EngineException.Conflict($"Container {c.Id} is not running");
        return await ContainerTop.RunAsync(CgroupOf(c).GetPids().ToHashSet(), psArgs, ct);
    }

    /// <summary>A stats sample of a running container; null when it is not running (Docker then reports zeros).</summary>
    public StatsSample? SampleStats(ContainerModel c)
    {
        if (!c.State.IsActive)
            return null;
        try
        {
            return ContainerStats.Sample(CgroupOf(c), DateTime.UtcNow);
        }
        catch (CgroupException)
        {
            return null; // exited between the check and the read
        }
    }
}
