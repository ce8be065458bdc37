using System.Text.Json;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Rootfs;
using ContainerConsole.Runtime.Security;

namespace ContainerConsole.Runtime.Spec;

/// <summary>
/// Loads a bundle's config.json and rejects what cannot work, at create time and
/// before anything is made on the host, with a message naming the field.
/// </summary>
public static class SpecValidator
{
    // Sysctls that are namespaced (Docker's list): anything else would change the host.
    private static readonly string[] IpcSysctls = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

    public static RuntimeSpec Load(string bundle) => Load(bundle, out _);

    /// <summary>Also returns the bytes read, which state.json embeds unchanged.</summary>
    public static RuntimeSpec Load(string bundle, out byte[] json)
    {
        var path = Path.Combine(bundle, "config.json");
        if (!File.Exists(path))
            throw new SpecValidationException($"bundle {bundle}: config.json not found");
        try
        {
            json = File.ReadAllBytes(path);
            return RuntimeSpecReader.Read(json);
        }
        catch (JsonException e)
        {
            throw new SpecValidationException($"{path}: invalid JSON: {e.Message}");
        }
        catch (SpecValidationException e)
        {
            throw new SpecValidationException($"{path}: invalid JSON: {e.Message}");
        }
    }

    /// <summary>Validates and returns the absolute rootfs path.</summary>
    public static string Validate(RuntimeSpec spec, string bundle)
    {
        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            throw new SpecValidationException("root.path: missing");
        var rootfs = Path.GetFullPath(spec.Root.Path, Path.GetFullPath(bundle));
        if (!Directory.Exists(rootfs))
            throw new SpecValidationException($"root.path: rootfs {rootfs} does not exist");
        var process = spec.Process ?? throw new SpecValidationException("process: missing");
        ValidateProcess(process, "process");

        var linux = spec.Linux ?? new Linux();
        var types = new HashSet<string>();
        foreach (var ns in linux.Namespaces)
        {
            if (!KernelConstants.NamespaceFlags.ContainsKey(ns.Type))
                throw new SpecValidationException($"linux.namespaces: unknown namespace type \"{ns.Type}\"");
            if (!types.Add(ns.Type))
                throw new SpecValidationException($"linux.namespaces: \"{ns.Type}\" listed twice");
            if (!string.IsNullOrEmpty(ns.Path) && !File.Exists(ns.Path))
                throw new SpecValidationException($"linux.namespaces: {ns.Type} namespace path {ns.Path} does not exist");
        }
        if (types.Contains("user") && linux.Namespaces.First(n => n.Type == "user").Path is null && (linux.UidMappings.Count == 0 || linux.GidMappings.Count == 0))
            throw new SpecValidationException("linux.uidMappings/gidMappings: a new user namespace needs both mappings");
        if (!string.IsNullOrEmpty(spec.Hostname) && !types.Contains("uts"))
            throw new SpecValidationException("hostname: setting a hostname needs a new uts namespace");
        foreach (var m in spec.Mounts)
        {
            if (!m.Destination.StartsWith('/'))
                throw new SpecValidationException($"mounts: destination \"{m.Destination}\" is not absolute");
            var opts = MountOptions.Parse(m.Options);
            if ((opts.IsBind || m.Type == "bind") && (string.IsNullOrEmpty(m.Source) || (!File.Exists(m.Source) && !Directory.Exists(m.Source))))
                throw new SpecValidationException($"mounts: bind source \"{m.Source}\" for {m.Destination} does not exist");
        }
        foreach (var key in linux.Sysctl.Keys)
            ValidateSysctl(key, types);
        if (!string.IsNullOrEmpty(linux.RootfsPropagation))
            MountOptions.ParsePropagation(linux.RootfsPropagation, "linux.rootfsPropagation");
        foreach (var d in linux.Devices)
            if (d.Type is not ("c" or "b" or "u" or "p") || !d.Path.StartsWith("/dev/", StringComparison.Ordinal))
                throw new SpecValidationException($"linux.devices: invalid device {d.Type} {d.Path}");
        foreach (var hook in AllHooks(spec.Hooks))
        {
            if (!hook.Path.StartsWith('/'))
                throw new SpecValidationException($"hooks: path \"{hook.Path}\" is not absolute");
            // startContainer hooks are looked up inside the container, the rest on the host.
            if (!spec.Hooks!.StartContainer.Contains(hook) && !File.Exists(hook.Path))
                throw new SpecValidationException($"hooks: {hook.Path} does not exist");
        }

        if (!MayComeFromAMount(spec, process))
            FindExecutableInLayers(spec, rootfs, process);
        return rootfs;
    }

    // The early check looks in the image only: a binary a mount brings in (docker run --init's /sbin/docker-init, or
    // -v /usr/bin/x:/x) is left to init, which reports a missing one in the same words once the mounts are in place.
    private static bool MayComeFromAMount(RuntimeSpec spec, Process process)
    {
        var arg0 = process.Args[0];
        var pathVar = process.Env.Select(e => e.StartsWith("PATH=", StringComparison.Ordinal) ? e[5..] : null).LastOrDefault(v => v is not null) ?? "/usr/bin:/bin";
        IEnumerable<string> candidates = arg0.Contains('/')
            ? [arg0.StartsWith('/') ? arg0 : process.Cwd.TrimEnd('/') + "/" + arg0]
            : pathVar.Split(':').Select(dir => dir.TrimEnd('/') + "/" + arg0);
        return candidates.Any(c => spec.Mounts.Any(m => m.Destination != "/" && (c == m.Destination || c.StartsWith(m.Destination.TrimEnd('/') + "/", StringComparison.Ordinal))));
    }

    // With an overlay rootfs, root.path is an empty mount point until init mounts the
    // layers inside its mount namespace: look in the upper layer, then the lower ones.
    private static void FindExecutableInLayers(RuntimeSpec spec, string rootfs, Process process)
    {
        if (!spec.Annotations.TryGetValue(InitPlanner.OverlayLowerAnnotation, out var lower))
        {
            RootfsPath.FindExecutable(rootfs, process.Args[0], process.Env, process.Cwd);
            return;
        }
        if (!spec.Annotations.TryGetValue(InitPlanner.OverlayUpperAnnotation, out var upper) || !spec.Annotations.ContainsKey(InitPlanner.OverlayWorkAnnotation))
            throw new SpecValidationException($"annotations: {InitPlanner.OverlayLowerAnnotation} needs upperdir and workdir annotations too");
        var layers = new[] { upper }.Concat(lower.Split(':')).ToList();
        foreach (var layer in layers)
            if (!Directory.Exists(layer))
                throw new SpecValidationException($"annotations: overlay layer {layer} does not exist");
        SpecValidationException? first = null;
        foreach (var layer in layers)
        {
            try
            {
                RootfsPath.FindExecutable(layer, process.Args[0], process.Env, process.Cwd);
                return;
            }
            catch (SpecValidationException e)
            {
                first ??= e;
            }
        }
        throw first!;
    }

    public static void ValidateProcess(Process process, string field)
    {
        if (process.Args.Count == 0 || string.IsNullOrEmpty(process.Args[0]))
            throw new SpecValidationException($"{field}.args: must name a program");
        if (!process.Cwd.StartsWith('/'))
            throw new SpecValidationException($"{field}.cwd: \"{process.Cwd}\" is not absolute");
        foreach (var r in process.Rlimits)
        {
            if (!KernelConstants.Rlimits.ContainsKey(r.Type))
                throw new SpecValidationException($"{field}.rlimits: unknown rlimit \"{r.Type}\"");
            if (r.Soft > r.Hard)
                throw new SpecValidationException($"{field}.rlimits: {r.Type} soft limit above hard limit");
        }
        if (!string.IsNullOrEmpty(process.ApparmorProfile) && !AppArmorEnabled())
            throw new SpecValidationException($"{field}.apparmorProfile: AppArmor is not enabled on this host");
        if (process.OomScoreAdj is < -1000 or > 1000)
            throw new SpecValidationException($"{field}.oomScoreAdj: {process.OomScoreAdj} is outside -1000..1000");
        if (process.Capabilities is { } c)
        {
            CapabilitySet.ToMask(c.Bounding, $"{field}.capabilities.bounding");
            CapabilitySet.ToMask(c.Effective, $"{field}.capabilities.effective");
            CapabilitySet.ToMask(c.Permitted, $"{field}.capabilities.permitted");
            CapabilitySet.ToMask(c.Inheritable, $"{field}.capabilities.inheritable");
            CapabilitySet.ToMask(c.Ambient, $"{field}.capabilities.ambient");
        }
        foreach (var e in process.Env)
            if (!e.Contains('='))
                throw new SpecValidationException($"{field}.env: \"{e}\" is not KEY=value");
    }

    private static void ValidateSysctl(string key, HashSet<string> namespaces)
    {
        if (IpcSysctls.Contains(key) || key.StartsWith("fs.mqueue.", StringComparison.Ordinal))
        {
            if (!namespaces.Contains("ipc"))
                throw new SpecValidationException($"linux.sysctl: {key} needs a new ipc namespace");
            return;
        }
        if (key.StartsWith("net.", StringComparison.Ordinal))
        {
            if (!namespaces.Contains("network"))
                throw new SpecValidationException($"linux.sysctl: {key} needs a new network namespace");
            return;
        }
        if (key is "kernel.domainname" or "kernel.hostname")
            return;
        throw new SpecValidationException($"linux.sysctl: {key} is not namespaced; it would change the host");
    }

    private static bool AppArmorEnabled()
    {
        try
        {
            return File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y";
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static IEnumerable<Hook> AllHooks(Hooks? h) => h is null
        ? []
        : h.Prestart.Concat(h.CreateRuntime).Concat(h.CreateContainer).Concat(h.StartContainer).Concat(h.Poststart).Concat(h.Poststop);

    /// <summary>runc's rule, [A-Za-z0-9_+.-]+ (a hand check: the Regex engine would double ccrun's size and start time).</summary>
    public static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id is "." or ".." || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.'))
            throw new SpecValidationException($"invalid container id \"{id}\"");
    }
}
