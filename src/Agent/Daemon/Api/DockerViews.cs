using System.Globalization;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>The Docker Engine API's JSON shapes for containers, built from the engine's model.</summary>
public static class DockerViews
{
    private static string Rfc3339(DateTime t) =>
        t == default ? "0001-01-01T00:00:00Z" : t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    /// <summary>One entry of GET /containers/json; sizes only when asked for (size=1), as dockerd.</summary>
    /// <summary>
    /// dockerd's status of a container waiting for its restart policy's next start: "restarting", counted as running
    /// (so plain `docker ps` lists it), though no process runs until the backoff ends.
    /// </summary>
    public static string Status(ContainerModel c, bool restarting) => restarting ? "restarting" : c.State.Status;

    public static Dictionary<string, object?> Summary(ContainerModel c, (long Rw, long RootFs)? size, bool restarting = false)
    {
        var summary = new Dictionary<string, object?>
        {
            ["Id"] = c.Id,
            ["Names"] = new[] { "/" + c.Name },
            ["Image"] = c.Config.Image,
            ["ImageID"] = c.ImageId,
            ["Command"] = CommandText(c.Args),
            ["Created"] = new DateTimeOffset(DateTime.SpecifyKind(c.Created, DateTimeKind.Utc)).ToUnixTimeSeconds(),
            ["Ports"] = Array.Empty<object>(),
            ["Labels"] = c.Config.Labels ?? [],
            ["State"] = Status(c, restarting),
            ["Status"] = restarting ? $"Restarting ({c.State.ExitCode}) {Human(DateTime.UtcNow - c.State.FinishedAt)} ago" : StatusText(c.State, DateTime.UtcNow),
            ["HostConfig"] = new { NetworkMode = c.HostConfig.NetworkMode ?? "default" },
            ["NetworkSettings"] = new { Networks = new Dictionary<string, object>() },
            ["Mounts"] = Mounts(c),
        };
        if (size is { } s)
        {
            summary["SizeRw"] = s.Rw;
            summary["SizeRootFs"] = s.RootFs;
        }
        return summary;
    }

    /// <summary>dockerd's COMMAND: the path, then the arguments with those containing a space in single quotes.</summary>
    public static string CommandText(IReadOnlyList<string> args) =>
        string.Join(' ', args.Select((a, i) => i > 0 && a.Contains(' ') ? $"'{a}'" : a));

    /// <summary>The STATUS column of `docker ps`.</summary>
    public static string StatusText(ContainerRunState s, DateTime now) => s.Status switch
    {
        "running" => $"Up {Human(now - s.StartedAt)}{HealthSuffix(s.Health)}",
        "paused" => $"Up {Human(now - s.StartedAt)} (Paused)",
        "exited" => $"Exited ({s.ExitCode}) {Human(now - s.FinishedAt)} ago",
        "created" => "Created",
        "removing" => "Removal In Progress",
        _ => s.Status,
    };

    // docker ps: "Up 5 seconds (healthy)", "(unhealthy)", "(health: starting)"
    private static string HealthSuffix(HealthState? h) => h?.Status switch
    {
        null => "",
        HealthSettings.Starting => " (health: starting)",
        var status => $" ({status})",
    };

    /// <summary>Docker's human durations ("Less than a second", "1 second", "About a minute", "About an hour", "3 weeks").</summary>
    public static string Human(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        var minutes = (long)d.TotalMinutes;
        var hours = (long)(d.TotalHours + 0.5);
        return seconds switch
        {
            < 1 => "Less than a second",
            1 => "1 second",
            < 60 => $"{seconds} seconds",
            _ when minutes == 1 => "About a minute",
            _ when minutes < 60 => $"{minutes} minutes",
            _ when hours == 1 => "About an hour",
            _ when hours < 48 => $"{hours} hours",
            _ when hours < 24 * 7 * 2 => $"{hours / 24} days",
            _ when hours < 24 * 30 * 2 => $"{hours / 24 / 7} weeks",
            _ when hours < 24 * 365 * 2 => $"{hours / 24 / 30} months",
            _ => $"{(long)d.TotalHours / 24 / 365} years",
        };
    }

    public static object Inspect(ContainerModel c, string logPath, string upperDir, string workDir, bool restarting, object networkSettings,
        IReadOnlyList<string> execIds) => new
    {
        c.Id,
        Created = Rfc3339(c.Created),
        Path = c.Args.FirstOrDefault() ?? "",
        Args = c.Args.Skip(1).ToArray(),
        State = new
        {
            Status = Status(c, restarting),
            Running = c.State.IsActive || restarting,
            Paused = c.State.Status == "paused",
            Restarting = restarting,
            c.State.OOMKilled,
            Dead = c.State.Status == "dead",
            c.State.Pid,
            c.State.ExitCode,
            c.State.Error,
            StartedAt = Rfc3339(c.State.StartedAt),
            FinishedAt = Rfc3339(c.State.FinishedAt),
            Health = c.State.Health is { } h && c.Config.Healthcheck is not null
                ? new
                {
                    h.Status,
                    h.FailingStreak,
                    Log = h.Log.Select(l => new { Start = Rfc3339(l.Start), End = Rfc3339(l.End), l.ExitCode, l.Output }),
                }
                : null,
        },
        Image = c.Config.Image,
        LogPath = logPath,
        Name = "/" + c.Name,
        c.State.RestartCount,
        ExecIDs = execIds.Count > 0 ? execIds : null, // dockerd's running execs, null when none
        Driver = "overlay",
        Platform = "linux",
        c.ProcessLabel,
        c.MountLabel,
        HostConfig = c.HostConfig,
        Config = c.Config,
        GraphDriver = new { Name = "overlay", Data = new { LowerDir = c.Rootfs, UpperDir = upperDir, WorkDir = workDir } },
        NetworkSettings = networkSettings,
        Mounts = Mounts(c),
    };

    /// <summary>Docker's "Mounts": Name and Driver for volumes only.</summary>
    public static Dictionary<string, object>[] Mounts(ContainerModel c) =>
        c.MountPoints.Select(m =>
        {
            var view = new Dictionary<string, object> { ["Type"] = m.Type };
            if (m.Type == "volume")
                view["Name"] = m.Name;
            view["Source"] = m.Source;
            view["Destination"] = m.Destination;
            if (m.Type == "volume")
                view["Driver"] = m.Driver;
            view["Mode"] = m.Mode;
            view["RW"] = m.RW;
            view["Propagation"] = m.Propagation;
            return view;
        }).ToArray();
}
