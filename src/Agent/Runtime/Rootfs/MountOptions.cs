using static ContainerConsole.Runtime.Plan.KernelConstants;

namespace ContainerConsole.Runtime.Rootfs;

/// <summary>A spec mount's options split the way mount(2) wants them.</summary>
public sealed record MountOptions(ulong Flags, ulong Propagation, string Data)
{
    private static readonly Dictionary<string, (bool Clear, ulong Flag)> FlagWords = new()
    {
        ["ro"] = (false, MS_RDONLY), ["rw"] = (true, MS_RDONLY), ["nosuid"] = (false, MS_NOSUID), ["suid"] = (true, MS_NOSUID),
        ["nodev"] = (false, MS_NODEV), ["dev"] = (true, MS_NODEV), ["noexec"] = (false, MS_NOEXEC), ["exec"] = (true, MS_NOEXEC),
        ["sync"] = (false, MS_SYNCHRONOUS), ["async"] = (true, MS_SYNCHRONOUS), ["dirsync"] = (false, MS_DIRSYNC),
        ["remount"] = (false, MS_REMOUNT), ["mand"] = (false, MS_MANDLOCK), ["nomand"] = (true, MS_MANDLOCK),
        ["atime"] = (true, MS_NOATIME), ["noatime"] = (false, MS_NOATIME), ["diratime"] = (true, MS_NODIRATIME),
        ["nodiratime"] = (false, MS_NODIRATIME), ["bind"] = (false, MS_BIND), ["rbind"] = (false, MS_BIND | MS_REC),
        ["relatime"] = (false, MS_RELATIME), ["norelatime"] = (true, MS_RELATIME), ["strictatime"] = (false, MS_STRICTATIME),
        ["nostrictatime"] = (true, MS_STRICTATIME), ["silent"] = (false, MS_SILENT), ["loud"] = (true, MS_SILENT),
    };

    private static readonly Dictionary<string, ulong> PropagationWords = new()
    {
        ["private"] = MS_PRIVATE, ["rprivate"] = MS_PRIVATE | MS_REC, ["shared"] = MS_SHARED, ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE, ["rslave"] = MS_SLAVE | MS_REC, ["unbindable"] = MS_UNBINDABLE, ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    public bool IsBind => (Flags & MS_BIND) != 0;

    public static MountOptions Parse(IEnumerable<string> options)
    {
        ulong flags = 0, propagation = 0;
        var data = new List<string>();
        foreach (var o in options)
        {
            if (FlagWords.TryGetValue(o, out var f))
                flags = f.Clear ? flags & ~f.Flag : flags | f.Flag;
            else if (PropagationWords.TryGetValue(o, out var p))
                propagation = p;
            else if (o.Length > 0)
                data.Add(o); // filesystem-specific: mode=755, size=64m, newinstance, ...
        }
        return new MountOptions(flags, propagation, string.Join(',', data));
    }

    /// <summary>rootfsPropagation values (spec: shared, slave, private, unbindable and r-forms).</summary>
    public static ulong ParsePropagation(string value, string field) =>
        PropagationWords.TryGetValue(value, out var p)
            ? p
            : throw new SpecValidationException($"{field}: unknown propagation \"{value}\"");
}
