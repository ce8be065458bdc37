namespace ContainerConsole.Runtime.Cgroups;

/// <summary>Turns the spec's linux.cgroupsPath into the path used under every hierarchy root.</summary>
public static class CgroupPaths
{
    public const string DefaultParent = "/containerconsole";

    /// <summary>
    /// null/empty → "/containerconsole/&lt;id&gt;".
    /// "slice:prefix:name" (systemd form) → "/&lt;expanded slice&gt;/prefix-name.scope", without talking to systemd.
    /// Anything else is a path below each hierarchy root; a relative path is taken as relative to the root
    /// (this runtime does not nest under its own cgroup). ".." components are rejected.
    /// </summary>
    public static string Resolve(string? cgroupsPath, string containerId)
    {
        if (string.IsNullOrEmpty(cgroupsPath))
            return Normalize($"{DefaultParent}/{containerId}");
        return Resolve(cgroupsPath);
    }

    /// <summary>A given (non-empty) cgroupsPath in either form → normalized absolute path.</summary>
    public static string Resolve(string cgroupsPath) =>
        cgroupsPath.Contains(':') ? FromSystemd(cgroupsPath) : Normalize(cgroupsPath);

    /// <summary>"/a//b/" → "/a/b"; rejects "." and ".." components and the root itself.</summary>
    public static string Normalize(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
            throw new SpecValidationException($"linux.cgroupsPath \"{path}\" names the root cgroup");
        foreach (var p in parts)
        {
            if (p is "." or "..")
                throw new SpecValidationException($"linux.cgroupsPath \"{path}\" must not contain \"{p}\"");
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>Components of a normalized path ("/a/b" → ["a", "b"]).</summary>
    public static string[] Split(string normalizedPath) => normalizedPath.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string FromSystemd(string value)
    {
        var parts = value.Split(':');
        if (parts.Length != 3 || parts[2].Length == 0)
            throw new SpecValidationException($"linux.cgroupsPath \"{value}\" is not of the form slice:prefix:name");
        var (slice, prefix, name) = (parts[0], parts[1], parts[2]);
        if (slice.Length == 0)
            slice = "system.slice";
        if (name.Contains('/') || prefix.Contains('/'))
            throw new SpecValidationException($"linux.cgroupsPath \"{value}\": prefix and name must not contain '/'");
        // A name that is itself a slice is used as-is, like systemd drivers do; otherwise it is a scope.
        var unit = name.EndsWith(".slice", StringComparison.Ordinal)
            ? name
            : (prefix.Length == 0 ? name : $"{prefix}-{name}") + ".scope";
        var dir = ExpandSlice(slice, value);
        return Normalize(dir.Length == 0 ? unit : $"{dir}/{unit}");
    }

    /// <summary>
    /// systemd nests slices by their dash-separated name: "a-b-c.slice" lives at
    /// "a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root slice.
    /// </summary>
    public static string ExpandSlice(string slice, string? forError = null)
    {
        const string suffix = ".slice";
        if (!slice.EndsWith(suffix, StringComparison.Ordinal) || slice.Contains('/'))
            throw new SpecValidationException($"linux.cgroupsPath \"{forError ?? slice}\": invalid slice name \"{slice}\"");
        if (slice == "-" + suffix)
            return "";
        var body = slice[..^suffix.Length];
        if (body.Length == 0 || body.StartsWith('-') || body.EndsWith('-') || body.Contains("--"))
            throw new SpecValidationException($"linux.cgroupsPath \"{forError ?? slice}\": invalid slice name \"{slice}\"");
        var words = body.Split('-');
        var levels = new List<string>(words.Length);
        var acc = "";
        foreach (var w in words)
        {
            acc = acc.Length == 0 ? w : $"{acc}-{w}";
            levels.Add(acc + suffix);
        }
        return string.Join('/', levels);
    }
}
