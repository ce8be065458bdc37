using System.Net;

namespace ContainerConsole.Server.Agents;

/// <summary>The agent answered a Docker Engine API call with an error status.</summary>
public sealed class DockerEngineException(HttpStatusCode statusCode, string message)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;
}

/// <summary>The agent could not be reached at all (no socket, connection refused, timeout).</summary>
public sealed class AgentUnreachableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
