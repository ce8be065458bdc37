using System.Globalization;
using System.Text;

namespace ContainerConsole.Runtime.Security;

/// <summary>Whether SELinux is usable on this host, and why not when it is not.</summary>
public sealed record SeLinuxState(bool Enabled, bool Enforcing, string? MountPoint, string Detail)
{
    public static SeLinuxState Disabled(string reason) => new(false, false, null, "disabled: " + reason);
}

/// <summary>SELinux detection.</summary>
public static class SeLinux
{
    public const string DefaultMountPoint = "/sys/fs/selinux";

    /// <summary>
    /// SELinux is enabled when selinuxfs is mounted (found in <paramref name="mountInfoPath"/>) and
    /// its <c>enforce</c> file is readable; "1" there means enforcing, "0" permissive.
    /// </summary>
    public static SeLinuxState Detect(string mountInfoPath = "/proc/self/mountinfo")
    {
        string? mountPoint;
        try
        {
            mountPoint = FindSelinuxfs(File.ReadLines(mountInfoPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return SeLinuxState.Disabled($"cannot read {mountInfoPath}: {e.Message}");
        }
        if (mountPoint is null)
            return SeLinuxState.Disabled("no selinuxfs");

        string enforce;
        try
        {
            enforce = File.ReadAllText(Path.Combine(mountPoint, "enforce")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return SeLinuxState.Disabled($"selinuxfs at {mountPoint} has no readable enforce file: {e.Message}");
        }
        return enforce switch
        {
            "1" => new SeLinuxState(true, true, mountPoint, "enforcing"),
            "0" => new SeLinuxState(true, false, mountPoint, "permissive"),
            _ => SeLinuxState.Disabled($"unexpected {mountPoint}/enforce content \"{enforce}\""),
        };
    }

    /// <summary>The selinuxfs mount point in mountinfo lines, preferring the standard location.</summary>
    internal static string? FindSelinuxfs(IEnumerable<string> mountInfoLines)
    {
        string? found = null;
        foreach (var line in mountInfoLines)
        {
            // "<id> <parent> <maj:min> <root> <mount point> <options> [optional...] - <fstype> <source> <super options>"
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 5 || dash + 1 >= fields.Length || fields[dash + 1] != "selinuxfs")
                continue;
            var mountPoint = UnescapeMountInfo(fields[4]);
            if (mountPoint == DefaultMountPoint)
                return mountPoint;
            found ??= mountPoint;
        }
        return found;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string UnescapeMountInfo(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}

/// <summary>An SELinux security context <c>user:role:type[:level]</c>; the level may itself contain colons.</summary>
public sealed record SeLinuxLabel(string User, string Role, string Type, string Level)
{
    public static SeLinuxLabel Parse(string text, string field)
    {
        if (TryParse(text, out var label))
            return label;
        throw new SpecValidationException($"{field}: invalid SELinux label \"{text}\" (want user:role:type:level)");
    }

    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SeLinuxLabel? label)
    {
        label = null;
        if (string.IsNullOrEmpty(text))
            return false;
        var parts = text.Split(':', 4);
        if (parts.Length < 3 || !SeLinuxLabeler.IsIdentifier(parts[0]) || !SeLinuxLabeler.IsIdentifier(parts[1]) || !SeLinuxLabeler.IsIdentifier(parts[2]))
            return false;
        var level = parts.Length == 4 ? parts[3] : "";
        if (parts.Length == 4 && !McsAllocator.IsValidLevel(level))
            return false;
        label = new SeLinuxLabel(parts[0], parts[1], parts[2], level);
        return true;
    }

    public override string ToString() =>
        Level.Length == 0 ? $"{User}:{Role}:{Type}" : $"{User}:{Role}:{Type}:{Level}";
}

/// <summary>
/// Hands out MCS category pairs <c>s0:cA,cB</c> (A &lt; B, both below the category count) that no
/// other container holds, so two containers' processes cannot touch each other's files.
/// Thread-safe.
/// </summary>
public sealed class McsAllocator
{
    private readonly object _lock = new();
    private readonly HashSet<(int, int)> _inUse = [];
    private readonly Random _random;
    private readonly int _categories;

    /// <param name="inUse">Levels already held, e.g. by existing containers; entries that are not pairs are ignored.</param>
    /// <param name="categories">Number of categories (c0..c{n-1}); the default policy has 1024.</param>
    /// <param name="random">Source of randomness; random picks keep allocators in different processes from colliding often.</param>
    public McsAllocator(IEnumerable<string>? inUse = null, int categories = 1024, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(categories, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(categories, 1024);
        _categories = categories;
        _random = random ?? Random.Shared;
        foreach (var level in inUse ?? [])
            Reserve(level);
    }

    /// <summary>Number of pairs currently held.</summary>
    public int Count
    {
        get { lock (_lock) return _inUse.Count; }
    }

    /// <summary>A fresh level <c>s0:cA,cB</c>, now marked in use.</summary>
    public string Allocate()
    {
        lock (_lock)
        {
            var total = _categories * (_categories - 1) / 2;
            if (_inUse.Count >= total)
                throw new InvalidOperationException($"all {total} MCS category pairs are in use");

            // Random picks find a free pair quickly unless the space is nearly full; then scan.
            for (var attempt = 0; attempt < 64; attempt++)
            {
                var a = _random.Next(_categories);
                var b = _random.Next(_categories);
                if (a == b)
                    continue;
                var pair = a < b ? (a, b) : (b, a);
                if (_inUse.Add(pair))
                    return Format(pair);
            }
            for (var a = 0; a < _categories; a++)
            {
                for (var b = a + 1; b < _categories; b++)
                {
                    if (_inUse.Add((a, b)))
                        return Format((a, b));
                }
            }
            throw new InvalidOperationException("no free MCS category pair");
        }
    }

    /// <summary>Marks <paramref name="level"/> in use; false if it is not a category pair or already held.</summary>
    public bool Reserve(string level)
    {
        if (!TryParsePair(level, out var pair) || pair.B >= _categories)
            return false;
        lock (_lock)
            return _inUse.Add(pair);
    }

    /// <summary>Frees <paramref name="level"/>; false if it was not held.</summary>
    public bool Release(string level)
    {
        if (!TryParsePair(level, out var pair))
            return false;
        lock (_lock)
            return _inUse.Remove(pair);
    }

    public bool IsInUse(string level)
    {
        if (!TryParsePair(level, out var pair))
            return false;
        lock (_lock)
            return _inUse.Contains(pair);
    }

    private static string Format((int A, int B) pair) =>
        string.Create(CultureInfo.InvariantCulture, $"s0:c{pair.A},c{pair.B}");

    /// <summary>
    /// Parses a level made of exactly two distinct categories, <c>s0:cA,cB</c>, in either order;
    /// a whole label ending in such a level is accepted too.
    /// </summary>
    public static bool TryParsePair(string? level, out (int A, int B) pair)
    {
        pair = default;
        if (string.IsNullOrEmpty(level))
            return false;
        if (!level.StartsWith("s0:", StringComparison.Ordinal))
        {
            if (!SeLinuxLabel.TryParse(level, out var label) || !label.Level.StartsWith("s0:", StringComparison.Ordinal))
                return false;
            level = label.Level;
        }
        var cats = level[3..].Split(',');
        if (cats.Length != 2 || !TryCategory(cats[0], out var a) || !TryCategory(cats[1], out var b) || a == b)
            return false;
        pair = a < b ? (a, b) : (b, a);
        return true;
    }

    private static bool TryCategory(string text, out int number)
    {
        number = -1;
        return text.Length > 1 && text[0] == 'c'
            && int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out number)
            && number < 1024;
    }

    /// <summary>
    /// An MLS/MCS level or range: <c>sN[:cats][-sN[:cats]]</c>, where cats is a comma list of
    /// <c>cN</c> or <c>cN.cM</c> (categories below 1024).
    /// </summary>
    public static bool IsValidLevel(string level)
    {
        if (string.IsNullOrEmpty(level))
            return false;
        var halves = level.Split('-');
        return halves.Length <= 2 && halves.All(IsValidSingleLevel);
    }

    private static bool IsValidSingleLevel(string level)
    {
        var parts = level.Split(':');
        if (parts.Length > 2 || parts[0].Length < 2 || parts[0][0] != 's'
            || !int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return false;
        if (parts.Length == 1)
            return true;
        foreach (var item in parts[1].Split(','))
        {
            var range = item.Split('.');
            if (range.Length > 2 || !range.All(c => TryCategory(c, out _)))
                return false;
        }
        return true;
    }
}

/// <summary>The labels a container runs with; both empty when labelling is off.</summary>
public sealed record ContainerLabels(string ProcessLabel, string MountLabel)
{
    public static ContainerLabels None { get; } = new("", "");

    public bool IsDisabled => ProcessLabel.Length == 0 && MountLabel.Length == 0;
}

/// <summary>
/// Picks process and mount labels for containers the way container-selinux expects them:
/// process <c>system_u:system_r:container_t:s0:cA,cB</c> and files
/// <c>system_u:object_r:container_file_t:s0:cA,cB</c> with a unique category pair, adjusted by
/// Docker's <c>--security-opt label=...</c> options.
/// </summary>
public sealed class SeLinuxLabeler(McsAllocator allocator, bool enabled, SeLinuxLabel? processBase = null, SeLinuxLabel? fileBase = null)
{
    /// <summary>container-selinux's defaults (lxc_contexts "process" and "file").</summary>
    public static SeLinuxLabel DefaultProcess { get; } = new("system_u", "system_r", "container_t", "s0");
    public static SeLinuxLabel DefaultFile { get; } = new("system_u", "object_r", "container_file_t", "s0");

    private readonly SeLinuxLabel _process = processBase ?? DefaultProcess;
    private readonly SeLinuxLabel _file = fileBase ?? DefaultFile;

    public bool Enabled => enabled;

    /// <summary>
    /// Labels for a new container. <paramref name="options"/> are <c>disable</c>, <c>user:U</c>,
    /// <c>role:R</c>, <c>type:T</c>, <c>filetype:T</c> or <c>level:L</c>, optionally prefixed with
    /// <c>label=</c>. Options are validated even when SELinux is off, where the result is
    /// <see cref="ContainerLabels.None"/>. A level from the allocator or the options is held until
    /// <see cref="Release"/>.
    /// </summary>
    public ContainerLabels Choose(IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? user = null, role = null, type = null, fileType = null, level = null;
        var disable = false;
        foreach (var raw in options)
        {
            var opt = raw ?? "";
            if (opt.StartsWith("label=", StringComparison.Ordinal) || opt.StartsWith("label:", StringComparison.Ordinal))
                opt = opt["label=".Length..];
            if (opt == "disable")
            {
                disable = true;
                continue;
            }
            var kv = opt.Split(':', 2);
            var value = kv.Length == 2 ? kv[1] : "";
            switch (kv[0])
            {
                case "user": user = Identifier(value, raw!); break;
                case "role": role = Identifier(value, raw!); break;
                case "type": type = Identifier(value, raw!); break;
                case "filetype": fileType = Identifier(value, raw!); break;
                case "level":
                    if (!McsAllocator.IsValidLevel(value))
                        throw new SpecValidationException($"label: invalid level in \"{raw}\"");
                    level = value;
                    break;
                default:
                    throw new SpecValidationException($"label: unknown option \"{raw}\" (want disable, user:, role:, type:, filetype: or level:)");
            }
        }

        if (disable || !enabled)
            return ContainerLabels.None;

        if (level is null)
            level = allocator.Allocate();
        else
            allocator.Reserve(level);   // a level the user picked is at least kept from others

        // As in go-selinux: user and level apply to both labels, role and type to the process only.
        var process = _process with
        {
            User = user ?? _process.User,
            Role = role ?? _process.Role,
            Type = type ?? _process.Type,
            Level = level,
        };
        var file = _file with
        {
            User = user ?? _file.User,
            Type = fileType ?? _file.Type,
            Level = level,
        };
        return new ContainerLabels(process.ToString(), file.ToString());
    }

    /// <summary>Gives the container's category pair back to the allocator.</summary>
    public void Release(ContainerLabels labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.IsDisabled)
            return;
        if (SeLinuxLabel.TryParse(labels.ProcessLabel, out var label))
            allocator.Release(label.Level);
    }

    private static string Identifier(string value, string option) =>
        IsIdentifier(value) ? value : throw new SpecValidationException($"label: invalid value in \"{option}\"");

    /// <summary>SELinux user, role and type names: letters, digits, '_', '.', '-'.</summary>
    internal static bool IsIdentifier(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
