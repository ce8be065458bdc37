namespace ContainerConsole.Runtime.Security;

/// <summary>
/// Linux capability names and numbers (linux/capability.h), and conversion of name lists to the
/// 64-bit masks that capset(2) and PR_CAPBSET_DROP work with.
/// </summary>
public static class CapabilitySet
{
    // Index == capability number; the kernel numbers them densely from 0.
    private static readonly string[] Names =
    [
        "CAP_CHOWN",              // 0
        "CAP_DAC_OVERRIDE",       // 1
        "CAP_DAC_READ_SEARCH",    // 2
        "CAP_FOWNER",             // 3
        "CAP_FSETID",             // 4
        "CAP_KILL",               // 5
        "CAP_SETGID",             // 6
        "CAP_SETUID",             // 7
        "CAP_SETPCAP",            // 8
        "CAP_LINUX_IMMUTABLE",    // 9
        "CAP_NET_BIND_SERVICE",   // 10
        "CAP_NET_BROADCAST",      // 11
        "CAP_NET_ADMIN",          // 12
        "CAP_NET_RAW",            // 13
        "CAP_IPC_LOCK",           // 14
        "CAP_IPC_OWNER",          // 15
        "CAP_SYS_MODULE",         // 16
        "CAP_SYS_RAWIO",          // 17
        "CAP_SYS_CHROOT",         // 18
        "CAP_SYS_PTRACE",         // 19
        "CAP_SYS_PACCT",          // 20
        "CAP_SYS_ADMIN",          // 21
        "CAP_SYS_BOOT",           // 22
        "CAP_SYS_NICE",           // 23
        "CAP_SYS_RESOURCE",       // 24
        "CAP_SYS_TIME",           // 25
        "CAP_SYS_TTY_CONFIG",     // 26
        "CAP_MKNOD",              // 27
        "CAP_LEASE",              // 28
        "CAP_AUDIT_WRITE",        // 29
        "CAP_AUDIT_CONTROL",      // 30
        "CAP_SETFCAP",            // 31
        "CAP_MAC_OVERRIDE",       // 32
        "CAP_MAC_ADMIN",          // 33
        "CAP_SYSLOG",             // 34
        "CAP_WAKE_ALARM",         // 35
        "CAP_BLOCK_SUSPEND",      // 36
        "CAP_AUDIT_READ",         // 37
        "CAP_PERFMON",            // 38
        "CAP_BPF",                // 39
        "CAP_CHECKPOINT_RESTORE", // 40
    ];

    private static readonly Dictionary<string, int> Numbers = BuildNumbers();

    /// <summary>Highest capability number this code knows by name.</summary>
    public const int MaxKnown = 40;

    /// <summary>All capability names this code knows, in number order.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(Names);

    /// <summary>Docker's default capability set (moby oci/caps/defaults.go), as OCI CAP_ names.</summary>
    public static IReadOnlyList<string> DockerDefault { get; } = Array.AsReadOnly(new[]
    {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    });

    /// <summary>
    /// The running kernel's highest capability (/proc/sys/kernel/cap_last_cap), capped at
    /// <see cref="MaxKnown"/>. Read once: the value cannot change while the system runs.
    /// </summary>
    public static int LastCap { get; } = ReadLastCap("/proc/sys/kernel/cap_last_cap");

    /// <summary>
    /// Parses the kernel's cap_last_cap file. Without it (no /proc yet) we assume every capability
    /// we know exists, which is what an up-to-date kernel has.
    /// </summary>
    internal static int ReadLastCap(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last) && last >= 0)
                return Math.Min(last, MaxKnown);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return MaxKnown;
    }

    /// <summary>
    /// Canonical "CAP_X" form of a name given as Docker's --cap-add accepts it: any case,
    /// with or without the CAP_ prefix. Null when the name is not a capability.
    /// </summary>
    public static string? Normalize(string name)
    {
        var number = TryGetNumber(name);
        return number is { } n ? Names[n] : null;
    }

    /// <summary>Capability number for a name (any case, CAP_ prefix optional), or null.</summary>
    public static int? TryGetNumber(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return null;
        var key = name.Trim().ToUpperInvariant();
        if (!key.StartsWith("CAP_", StringComparison.Ordinal))
            key = "CAP_" + key;
        return Numbers.TryGetValue(key, out var n) ? n : null;
    }

    /// <summary>Name of capability <paramref name="number"/>, or null if unknown.</summary>
    public static string? NameOf(int number) =>
        number >= 0 && number < Names.Length ? Names[number] : null;

    /// <summary>
    /// Bit mask (bit n = capability n) for the names. Unknown names are a
    /// <see cref="SpecValidationException"/> naming <paramref name="field"/>; known capabilities the
    /// running kernel lacks are left out, as runc does, so the mask is always valid for capset.
    /// </summary>
    public static ulong ToMask(IEnumerable<string> names, string field) => ToMask(names, field, LastCap);

    /// <summary><see cref="ToMask(IEnumerable{string}, string)"/> against an explicit kernel cap_last_cap.</summary>
    public static ulong ToMask(IEnumerable<string> names, string field, int lastCap)
    {
        ArgumentNullException.ThrowIfNull(names);
        ulong mask = 0;
        foreach (var name in names)
        {
            var number = TryGetNumber(name ?? "")
                ?? throw new SpecValidationException($"{field}: unknown capability \"{name}\"");
            if (number <= lastCap)
                mask |= 1UL << number;
        }
        return mask;
    }

    /// <summary>Names of the capabilities set in <paramref name="mask"/>, in number order.</summary>
    public static IReadOnlyList<string> FromMask(ulong mask)
    {
        var names = new List<string>();
        for (var n = 0; n < Names.Length; n++)
        {
            if ((mask & (1UL << n)) != 0)
                names.Add(Names[n]);
        }
        return names;
    }

    private static Dictionary<string, int> BuildNumbers()
    {
        var map = new Dictionary<string, int>(Names.Length, StringComparer.Ordinal);
        for (var n = 0; n < Names.Length; n++)
            map.Add(Names[n], n);
        return map;
    }
}
