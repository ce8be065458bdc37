namespace ContainerConsole.Agent.Engine;

/// <summary>An engine error with the Docker API status code it maps to.</summary>
public class EngineException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static EngineException NoSuchContainer(string id) => new(404, $"No such container: {id}");
    public static EngineException Conflict(string message) => new(409, message);
    public static EngineException BadRequest(string message) => new(400, message);
}
