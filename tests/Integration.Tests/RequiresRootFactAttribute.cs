namespace ContainerConsole.Integration.Tests;

/// <summary>
/// These tests run real containers: namespaces, cgroups and mounts need root.
/// Skipped, saying so, when not root; CI runs as root, so they run there.
/// </summary>
public sealed class RequiresRootFactAttribute : FactAttribute
{
    public RequiresRootFactAttribute()
    {
        if (!ContainerConsole.Runtime.Interop.Fds.IsRoot)
            Skip = "requires root: runs real containers (namespaces, cgroups, mounts)";
        else if (Environment.GetEnvironmentVariable("CI") is "true" && !File.Exists("/bin/busybox"))
            Skip = null; // in CI a missing busybox must fail, not skip
    }
}
