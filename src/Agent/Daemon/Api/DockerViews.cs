using System.Globalization;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>The Docker Engine API's JSON shapes for containers, built from the engine's model.</summary>
public static class DockerViews
{
    private static string Rfc3339(DateTime t) =>
        t == default ? "0001-01-01T00:00:00Z" : t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    public static object Summary(ContainerModel c) => new
    {
        c.Id,
        Names = new[] { "/" + c.Name },
        Image = c.Config.Image,
        ImageID = c.ImageId,
        Command = string.Join(' ', c.Args),
        Created = new DateTimeOffset(c.Created).ToUnixTimeSeconds(),
        State = c.State.Status,
        Status = StatusText(c.State, DateTime.UtcNow),
        Ports = Array.Empty<object>(),
        Labels = c.Config.Labels ?? [],
        HostConfig = new { NetworkMode = c.HostConfig.NetworkMode ?? "default" },
        Mounts = Array.Empty<object>(),
    };

    /// <summary>The STATUS column of `docker ps`.</summary>
    public static string StatusText(ContainerRunState s, DateTime now) => s.Status switch
    {
        "running" => $"Up {Human(now - s.StartedAt)}",
        "paused" => $"Up {Human(now - s.StartedAt)} (Paused)",
        "exited" => $"Exited ({s.ExitCode}) {Human(now - s.FinishedAt)} ago",
        "created" => "Created",
        "removing" => "Removal In Progress",
        _ => s.Status,
    };

    public static string Human(TimeSpan d) => d.TotalSeconds switch
    {
        < 1 => "Less than a second",
        < 60 => $"{(int)d.TotalSeconds} seconds",
        < 3600 => $"{(int)d.TotalMinutes} minutes",
        < 172800 => $"{(int)d.TotalHours} hours",
        _ => $"{(int)d.TotalDays} days",
    };

    public static object Inspect(ContainerModel c, string logPath, string upperDir, string workDir) => new
    {
        c.Id,
        Created = Rfc3339(c.Created),
        Path = c.Args.FirstOrDefault() ?? "",
        Args = c.Args.Skip(1).ToArray(),
        State = new
        {
            c.State.Status,
            Running = c.State.IsActive,
            Paused = c.State.Status == "paused",
            Restarting = false,
            c.State.OOMKilled,
            Dead = c.State.Status == "dead",
            c.State.Pid,
            c.State.ExitCode,
            c.State.Error,
            StartedAt = Rfc3339(c.State.StartedAt),
            FinishedAt = Rfc3339(c.State.FinishedAt),
        },
        Image = c.Config.Image,
        LogPath = logPath,
        Name = "/" + c.Name,
        c.State.RestartCount,
        Driver = "overlay",
        Platform = "linux",
        c.ProcessLabel,
        c.MountLabel,
        HostConfig = c.HostConfig,
        Config = c.Config,
        GraphDriver = new { Name = "overlay", Data = new { LowerDir = c.Rootfs, UpperDir = upperDir, WorkDir = workDir } },
    };
}
