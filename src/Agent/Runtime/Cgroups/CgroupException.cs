using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>A cgroup operation failed. <see cref="Errno"/> is 0 when no system call is to blame (timeouts, missing controllers).</summary>
public sealed class CgroupException : Exception
{
    public CgroupException(string message) : base(message) { }

    public CgroupException(string what, int errno, string? path = null)
        : base($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Errno = errno;
        Path = path;
    }

    public int Errno { get; }

    /// <summary>The cgroup file or directory involved, when there is one.</summary>
    public string? Path { get; }
}
