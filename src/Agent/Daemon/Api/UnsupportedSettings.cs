using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>
/// Settings of POST /containers/create the engine cannot honour yet (legacy links, other log drivers). A client that asks
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
