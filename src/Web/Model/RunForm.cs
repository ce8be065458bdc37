using System.Globalization;
using System.Net;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>
/// The run dialog's fields as typed (text, one entry a line where there may be many), and their reading into a
/// <see cref="RunRequest"/>. Reading checks only the shape of what was typed (a port that is not a number, an env
/// line without '='); what the settings mean is checked by the server, whose messages land on the same fields.
/// </summary>
public sealed class RunForm
{
    public const string Image = "image";
    public const string Name = "name";
    public const string Command = "cmd";
    public const string Entrypoint = "entrypoint";
    public const string Env = "env";
    public const string Ports = "ports";
    public const string Volumes = "volumes";
    public const string Memory = "memory";
    public const string Cpus = "cpus";
    public const string PidsLimit = "pidsLimit";
    public const string Restart = "restartPolicy";
    public const string Health = "healthCheck";
    public const string CapAdd = "capAdd";
    public const string CapDrop = "capDrop";
    public const string Labels = "labels";
    public const string Networks = "networks";
    public const string UserField = "user";
    public const string HostnameField = "hostname";
    public const string Mounts = "mounts";
    public const string WorkingDirField = "workingDir";

    /// <summary>The form field a server validation key (<c>ports[0].hostPort</c>, <c>env.PATH</c>) belongs to.</summary>
    public static string FieldOf(string key)
    {
        var end = key.IndexOfAny(['[', '.']);
        return end < 0 ? key : key[..end];
    }

    public string ImageText { get; set; } = "";
    public string NameText { get; set; } = "";
    public string CommandText { get; set; } = "";
    public string EntrypointText { get; set; } = "";
    public string EnvText { get; set; } = "";
    public string PortsText { get; set; } = "";
    public string VolumesText { get; set; } = "";
    public string Network { get; set; } = "";
    public string MemoryText { get; set; } = "";
    public string CpusText { get; set; } = "";
    public string PidsLimitText { get; set; } = "";
    public string RestartPolicy { get; set; } = "no";
    public string RestartRetriesText { get; set; } = "";
    public string HealthCommand { get; set; } = "";
    public string HealthIntervalText { get; set; } = "";
    public string HealthTimeoutText { get; set; } = "";
    public string HealthRetriesText { get; set; } = "";
    public string HealthStartPeriodText { get; set; } = "";
    public string CapAddText { get; set; } = "";
    public string CapDropText { get; set; } = "";
    public bool ReadOnly { get; set; }
    public string User { get; set; } = "";
    public string LabelsText { get; set; } = "";
    public string Hostname { get; set; } = "";
    public bool Tty { get; set; }
    public string WorkingDir { get; set; } = "";

    /// <summary>Extra names on the chosen network, comma or space separated.</summary>
    public string NetworkAliasesText { get; set; } = "";

    /// <summary>The <c>--mount</c> rows, in the order shown.</summary>
    public List<MountRow> MountRows { get; } = [];

    /// <summary>The request these fields describe, or the fields that cannot be read with why.</summary>
    public (RunRequest? Request, Dictionary<string, string> Errors) Read()
    {
        var errors = new Dictionary<string, string>();
        var image = ImageText.Trim();
        if (image.Length == 0)
        {
            errors[Image] = "An image is required.";
        }

        var cmd = Words(CommandText, Command, errors);
        var entrypoint = Words(EntrypointText, Entrypoint, errors);
        if (entrypoint is { Count: > 1 })
        {
            // docker run's --entrypoint is one word and the rest goes before the command: send what that line does.
            cmd = [.. entrypoint.Skip(1), .. cmd ?? []];
            entrypoint = [entrypoint[0]];
        }

        var env = Pairs(EnvText, Env, "NAME=value", errors);
        var labels = Pairs(LabelsText, Labels, "key=value", errors);
        var ports = new List<RunPort>();
        foreach (var line in Lines(PortsText))
        {
            if (ParsePort(line) is { } port)
            {
                ports.Add(port);
            }
            else
            {
                errors[Ports] = $"'{line}' is not a port: use [host-ip:][host-port:]container-port[/tcp|udp|sctp], e.g. 8080:80.";
            }
        }

        var volumes = Lines(VolumesText).ToList();
        foreach (var volume in volumes)
        {
            var parts = volume.Split(':');
            if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || !parts[1].StartsWith('/') || (parts.Length == 3 && parts[2] is not ("ro" or "rw")))
            {
                errors[Volumes] = $"'{volume}' is not a volume: use SOURCE:/container/path[:ro|rw], SOURCE a volume name or an absolute host path.";
            }
        }

        var mounts = new List<RunMount>();
        var mountProblems = new List<string>();
        for (var i = 0; i < MountRows.Count; i++)
        {
            if (MountRows[i].Problem() is { } problem)
            {
                mountProblems.Add($"Mount {i + 1}: {problem}");
            }
            else
            {
                mounts.Add(MountRows[i].ToMount());
            }
        }

        if (mountProblems.Count > 0)
        {
            errors[Mounts] = string.Join(" ", mountProblems);
        }

        var workingDir = Blank(WorkingDir);
        if (workingDir is not null && !workingDir.StartsWith('/'))
        {
            errors[WorkingDirField] = $"The working directory '{workingDir}' must be an absolute path.";
        }

        var aliases = Names(NetworkAliasesText);
        if (aliases.Count > 0 && Blank(Network) is null)
        {
            errors[Networks] = "Network aliases need a network chosen: the default bridge gives containers no extra names.";
        }

        var cpus = Number<double>(CpusText, Cpus, "a number of cores, e.g. 0.5", errors, s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null);
        var pids = Number<long>(PidsLimitText, PidsLimit, "a whole number above 0", errors, s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null);
        var restart = RestartPolicy;
        if (restart == "on-failure" && RestartRetriesText.Trim().Length > 0)
        {
            if (Number<int>(RestartRetriesText, Restart, "a whole number of retries", errors, s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (int?)null) is { } retries)
            {
                restart = $"on-failure:{retries}";
            }
        }

        RunHealthCheck? health = null;
        if (HealthCommand.Trim().Length > 0)
        {
            health = new RunHealthCheck(
                HealthCommand.Trim(),
                Duration(HealthIntervalText, "health interval", errors),
                Duration(HealthTimeoutText, "health timeout", errors),
                Number<int>(HealthRetriesText, Health, "a whole number of retries", errors, s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (int?)null),
                Duration(HealthStartPeriodText, "health start period", errors));
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new RunRequest(
            image,
            Blank(NameText),
            cmd,
            entrypoint,
            env,
            ports,
            volumes,
            Blank(Network),
            Blank(MemoryText),
            cpus,
            pids,
            restart,
            health,
            List(CapAddText),
            List(CapDropText),
            ReadOnly,
            Blank(User),
            labels,
            Blank(Hostname),
            Tty,
            mounts.Count > 0 ? mounts : null,
            workingDir,
            aliases.Count > 0 ? aliases : null), errors);
    }

    /// <summary>Reads <c>[host-ip:][host-port:]container-port[/protocol]</c>; IPv6 host addresses in brackets.</summary>
    internal static RunPort? ParsePort(string text)
    {
        var protocol = "tcp";
        var slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            text = text[..slash];
        }

        string? ip = null;
        if (text.StartsWith('['))
        {
            var end = text.IndexOf("]:", StringComparison.Ordinal);
            if (end < 0)
            {
                return null;
            }

            ip = text[1..end];
            text = text[(end + 2)..];
        }

        var parts = text.Split(':');
        if (ip is null && parts.Length == 3)
        {
            ip = parts[0];
            parts = parts[1..];
        }

        if (parts.Length is < 1 or > 2 || (ip is not null && (parts.Length != 2 || !IPAddress.TryParse(ip, out _))))
        {
            return null;
        }

        if (!int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var container) || container is < 1 or > 65535)
        {
            return null;
        }

        int? hostPort = null;
        if (parts.Length == 2 && parts[0].Length > 0)
        {
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p > 65535)
            {
                return null;
            }

            hostPort = p;
        }

        return protocol is "tcp" or "udp" or "sctp" ? new RunPort(container, protocol, hostPort, ip) : null;
    }

    /// <summary>A duration as docker's flags take it: a number with ms, s, m or h (<c>30s</c>, <c>1m30s</c>).</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var total = TimeSpan.Zero;
        var i = 0;
        if (text.Length == 0)
        {
            return null;
        }

        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || !long.TryParse(text[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            total += text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.MinValue,
            };
            if (total < TimeSpan.Zero)
            {
                return null;
            }
        }

        return total;
    }

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    private static string? Blank(string text) => text.Trim() is { Length: > 0 } t ? t : null;

    /// <summary>Words separated by commas, spaces or lines.</summary>
    private static List<string> Names(string text) =>
        [.. text.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static List<string> List(string text) => [.. Names(text).Select(c => c.ToUpperInvariant())];

    private static List<string>? Words(string text, string field, Dictionary<string, string> errors)
    {
        if (text.Trim().Length == 0)
        {
            return null;
        }

        try
        {
            return ShellWords.Split(text);
        }
        catch (FormatException ex)
        {
            errors[field] = ex.Message;
            return null;
        }
    }

    private static List<KeyValuePair<string, string>> Pairs(string text, string field, string example, Dictionary<string, string> errors)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                errors[field] = $"'{line}' needs the form {example}, one a line.";
                continue;
            }

            pairs.Add(new(line[..eq].Trim(), line[(eq + 1)..]));
        }

        return pairs;
    }

    private static T? Number<T>(string text, string field, string what, Dictionary<string, string> errors, Func<string, T?> parse)
        where T : struct
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        var value = parse(trimmed);
        if (value is null)
        {
            errors[field] = $"'{trimmed}' is not {what}.";
        }

        return value;
    }

    private static TimeSpan? Duration(string text, string what, Dictionary<string, string> errors)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        var value = ParseDuration(trimmed);
        if (value is null)
        {
            errors[Health] = $"The {what} '{trimmed}' is not a duration such as 30s, 1m30s or 500ms.";
        }

        return value;
    }
}
