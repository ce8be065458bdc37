namespace ContainerConsole.Runtime.Tests;

/// <summary>A [Fact] that is skipped unless the test runs as root (geteuid() == 0), for tests that write cgroupfs.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Tmds.Linux.LibC.geteuid() != 0)
            Skip = "requires root (cgroup writes)";
    }
}
