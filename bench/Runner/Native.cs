using System.Runtime.InteropServices;

namespace ContainerConsole.Bench;

/// <summary>The few libc calls the runner needs.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Umount2(string target, int flags);

    public const int MntDetach = 2;
}
