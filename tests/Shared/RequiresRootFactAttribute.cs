namespace ContainerConsole.Tests;

/// <summary>
/// A fact that needs root (namespaces, cgroup writes, mounts, mknod, trusted.* xattrs).
/// Off CI it is skipped, saying so, when not root. In CI (CI=true) it is never skipped:
/// CI runs as root, and a test that silently skipped there would prove nothing.
/// Shared by every test project as a linked source file.
/// </summary>
public sealed class RequiresRootFactAttribute : FactAttribute
{
    public RequiresRootFactAttribute()
    {
        if (Environment.IsPrivilegedProcess || Environment.GetEnvironmentVariable("CI") == "true")
            return;
        Skip = "requires root: runs real kernel operations (namespaces, cgroups, mounts, device nodes)";
    }
}
