using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>
/// Settings of POST /containers/create the engine cannot honour yet (links, ulimits and the like). A client that asks
/// for them gets a 400 naming the setting instead of a container that silently lacks them.
/// </summary>
public static class UnsupportedSettings
{
    /// <summary>Throws for what the engine cannot do; names the log driver it uses when the client left it empty.</summary>
    public static void Check(CreateContainerRequest request)
    {
        var hc = request.HostConfig ?? new HostConfig();
        if (hc.Links is { Count: > 0 })
            throw Refuse("links (--link)");
        if (hc.Ulimits is { Count: > 0 })
            throw Refuse("resource limits (--ulimit, HostConfig.Ulimits)");
        if (hc.GroupAdd is { Count: > 0 })
            throw Refuse("supplementary groups (--group-add)");
        if (hc.ShmSize > 0)
            throw Refuse("the size of /dev/shm (--shm-size)");
        foreach (var (flag, value, allowed) in new[]
        {
            ("--ipc", hc.IpcMode, new[] { "", "private", "shareable" }), ("--pid", hc.PidMode, [""]),
            ("--uts", hc.UTSMode, [""]), ("--userns", hc.UsernsMode, [""]),
        })
        {
            if (!allowed.Contains(value ?? ""))
                throw Refuse($"{flag} {value}: the container always gets its own namespace");
        }
        var logType = hc.LogConfig?.Type ?? "";
        if (logType is not ("" or "json-file"))
            throw Refuse($"the {logType} logging driver (--log-driver): the agent keeps json-file logs");
        hc.LogConfig = new LogConfig { Type = "json-file", Config = hc.LogConfig?.Config };
        LogRotation.Validate(hc.LogConfig);
    }

    /// <summary>docker run --platform: the agent runs linux/amd64 only (it emulates nothing).</summary>
    public static void CheckPlatform(string? platform)
    {
        if (string.IsNullOrEmpty(platform))
            return;
        var parts = platform.Split('/');
        if (parts[0] != "linux" || (parts.Length > 1 && parts[1] is not ("amd64" or "x86_64")))
            throw EngineException.BadRequest($"platform {platform} is not supported: this agent runs linux/amd64 containers");
    }

    private static EngineException Refuse(string what) =>
        EngineException.BadRequest($"not supported by this agent yet: {what}");
}
