using System.Globalization;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// The json-file driver's rotation for one container: its own --log-opt max-size/max-file, the agent's --log-opt for
/// what it leaves out (dockerd merges the daemon's options for the same driver the same way).
/// </summary>
public sealed record LogRotation(long MaxSize, int MaxFiles)
{
    public static LogRotation For(LogConfig? config, AgentOptions agent) => For(config, agent.LogMaxSize, agent.LogMaxFiles);

    /// <summary>At create: refuses unknown or malformed options with a 400 naming them.</summary>
    public static void Validate(LogConfig? config) => For(config, 1, 1);

    private static LogRotation For(LogConfig? config, long maxSize, int maxFiles)
    {
        foreach (var (key, value) in config?.Config ?? [])
        {
            switch (key)
            {
                case "max-size":
                    maxSize = Parse(() => AgentOptions.ParseSize(value), key, value);
                    break;
                case "max-file":
                    maxFiles = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                        ? n
                        : throw EngineException.BadRequest($"invalid value for log opt max-file: {value}: must be a number >= 1");
                    break;
                default:
                    throw EngineException.BadRequest($"unknown log opt '{key}' for json-file log driver (this agent has max-size and max-file)");
            }
        }
        return new LogRotation(maxSize, maxFiles);
    }

    private static long Parse(Func<long> parse, string key, string value)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException)
        {
            throw EngineException.BadRequest($"invalid value for log opt {key}: {value}");
        }
    }
}
