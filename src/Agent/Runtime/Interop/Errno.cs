using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Interop;

/// <summary>A failed system call: names the call, the object it acted on, and errno.</summary>
public sealed class SyscallException(string call, int errno, string? target = null)
    : Exception($"{call}{(target is null ? "" : $" {target}")}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    public string Call { get; } = call;
    public int Errno { get; } = errno;

    public static SyscallException Last(string call, string? target = null) =>
        new(call, Marshal.GetLastPInvokeError(), target);
}

public static class Errnos
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, ECHILD = 10, EAGAIN = 11, EBUSY = 16, EEXIST = 17, EINVAL = 22;
}
