using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Agent.Engine;

/// <summary>
/// docker run --init: a small init as the container's pid 1 that reaps zombies and passes signals on, bind-mounted
/// read-only at /sbin/docker-init as dockerd does. The binary is Debian's static tini (package tini, also shipped as
/// docker.io's docker-init), or whatever --init-path names: a well-kept init, not one of ours.
/// </summary>
public static class InitProcess
{
    public const string PathInContainer = "/sbin/docker-init";

    /// <summary>The default: the first static tini found.</summary>
    public static readonly string[] Candidates = ["/usr/bin/docker-init", "/usr/bin/tini-static", "/usr/libexec/docker/docker-init"];

    public static void Apply(RuntimeSpec spec, string? initPath)
    {
        if (initPath is null || !File.Exists(initPath))
            throw EngineException.BadRequest("--init: no init binary on this host: install Debian's tini package or start the agent with --init-path");
        spec.Mounts.Add(new Mount { Destination = PathInContainer, Type = "bind", Source = initPath, Options = ["bind", "ro"] });
        spec.Process!.Args = [PathInContainer, "--", .. spec.Process.Args];
    }
}
