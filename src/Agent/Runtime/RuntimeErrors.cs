namespace ContainerConsole.Runtime;

/// <summary>The bundle's config.json asks for something invalid; the message names the field and the value.</summary>
public sealed class SpecValidationException(string message) : Exception(message);

/// <summary>An operation is not allowed in the container's current status (e.g. start of a running container).</summary>
public sealed class InvalidStatusException(string message) : Exception(message);

/// <summary>No container with that id exists under the state root.</summary>
public sealed class ContainerNotFoundException(string id) : Exception($"container \"{id}\" does not exist");

/// <summary>Container setup inside the new namespaces failed; the message is the helper's own report.</summary>
public sealed class ContainerSetupException(string message) : Exception(message);
