namespace ContainerConsole.Images.Registry;

/// <summary>A registry refused or failed a request; <see cref="Status"/> is the Docker API status to answer with.</summary>
public sealed class RegistryException(int status, string message, Exception? inner = null) : Exception(message, inner)
{
    public int Status { get; } = status;

    public static RegistryException Unauthorized(string message) => new(401, message);
}
