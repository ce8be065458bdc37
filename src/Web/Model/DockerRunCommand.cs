using System.Globalization;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>The <c>docker run</c> line that does what a <see cref="RunRequest"/> does, every word quoted for a POSIX shell.</summary>
public static class DockerRunCommand
{
    public static string Format(RunRequest request) =>
        string.Join(' ', new[] { "docker", "run", "-d" }.Concat(Arguments(request)).Select(ShellWords.Quote));

    /// <summary>The words after <c>docker run</c> (options, image, command), unquoted; <c>-d</c> is left to the caller.</summary>
    public static List<string> Arguments(RunRequest request)
    {
        var args = new List<string>();
        void Option(string flag, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                args.Add(flag);
                args.Add(value);
            }
        }

        Option("--name", request.Name);
        Option("--hostname", request.Hostname);
        Option("--user", request.User);
        Option("--workdir", request.WorkingDir);
        if (request.Tty)
        {
            args.Add("-t");
        }

        if (request.ReadOnly)
        {
            args.Add("--read-only");
        }

        foreach (var (key, value) in request.Env ?? [])
        {
            Option("-e", $"{key}={value}");
        }

        foreach (var port in request.Ports ?? [])
        {
            var container = port.ContainerPort.ToString(CultureInfo.InvariantCulture) + (port.Protocol is "tcp" ? "" : "/" + port.Protocol);
            var hostPort = port.HostPort?.ToString(CultureInfo.InvariantCulture) ?? "";
            var host = port.HostIp is { Length: > 0 } ip
                ? (ip.Contains(':') ? $"[{ip}]" : ip) + ":" + hostPort + ":"
                : port.HostPort is null ? "" : hostPort + ":";
            Option("-p", host + container);
        }

        foreach (var volume in request.Volumes ?? [])
        {
            Option("-v", volume);
        }

        foreach (var mount in request.Mounts ?? [])
        {
            Option("--mount", Mount(mount));
        }

        Option("--network", request.Network);
        foreach (var alias in request.NetworkAliases ?? [])
        {
            Option("--network-alias", alias);
        }

        Option("--memory", request.Memory);
        Option("--cpus", request.Cpus?.ToString(CultureInfo.InvariantCulture));
        Option("--pids-limit", request.PidsLimit?.ToString(CultureInfo.InvariantCulture));
        Option("--restart", request.RestartPolicy is "no" ? null : request.RestartPolicy);
        if (request.HealthCheck is { } health)
        {
            Option("--health-cmd", health.Command);
            Option("--health-interval", Duration(health.Interval));
            Option("--health-timeout", Duration(health.Timeout));
            Option("--health-retries", health.Retries?.ToString(CultureInfo.InvariantCulture));
            Option("--health-start-period", Duration(health.StartPeriod));
        }

        foreach (var cap in request.CapAdd ?? [])
        {
            Option("--cap-add", cap);
        }

        foreach (var cap in request.CapDrop ?? [])
        {
            Option("--cap-drop", cap);
        }

        foreach (var (key, value) in request.Labels ?? [])
        {
            Option("--label", $"{key}={value}");
        }

        if (request.Entrypoint is { Count: > 0 } entrypoint)
        {
            // docker run takes one entrypoint word; the rest of it goes before the command's arguments.
            Option("--entrypoint", entrypoint[0]);
        }

        args.Add(request.Image);
        args.AddRange((request.Entrypoint ?? []).Skip(1).Concat(request.Cmd ?? []));
        return args;
    }

    /// <summary>
    /// A mount in <c>--mount</c>'s comma-separated <c>key=value</c> form; a field holding a comma or a quote is
    /// quoted as a CSV field, as docker reads that flag.
    /// </summary>
    internal static string Mount(RunMount mount)
    {
        var fields = new List<string> { "type=" + mount.Type };
        if (mount.Source is { Length: > 0 } source)
        {
            fields.Add("source=" + source);
        }

        fields.Add("target=" + mount.Target);
        if (mount.ReadOnly)
        {
            fields.Add("readonly");
        }

        return string.Join(',', fields.Select(f => f.IndexOfAny([',', '"']) >= 0 ? '"' + f.Replace("\"", "\"\"", StringComparison.Ordinal) + '"' : f));
    }

    /// <summary>A Go duration as docker's flags take it (<c>30s</c>, <c>1m30s</c>, <c>500ms</c>).</summary>
    internal static string? Duration(TimeSpan? value)
    {
        if (value is not { } d)
        {
            return null;
        }

        if (d.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return ((long)d.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var text = "";
        if (d.Hours + (d.Days * 24) > 0)
        {
            text += (d.Hours + (d.Days * 24)).ToString(CultureInfo.InvariantCulture) + "h";
        }

        if (d.Minutes > 0)
        {
            text += d.Minutes.ToString(CultureInfo.InvariantCulture) + "m";
        }

        if (d.Seconds > 0 || text.Length == 0)
        {
            text += d.Seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }

        return text;
    }
}
