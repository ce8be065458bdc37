using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Interop;

/// <summary>The libc calls Tmds.LibC 0.5.0 lacks (posix_spawn, waitpid with a status, sigaction reset, prctl).</summary>
internal static unsafe partial class Libc
{
    // The soname: a bare "libc" makes the loader probe a dozen paths on every start.
    private const string LibcName = "libc.so.6";

    [LibraryImport(LibcName, SetLastError = true)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(LibcName)]
    public static partial int posix_spawn_file_actions_init(void* fa);

    [LibraryImport(LibcName)]
    public static partial int posix_spawn_file_actions_destroy(void* fa);

    [LibraryImport(LibcName)]
    public static partial int posix_spawn_file_actions_adddup2(void* fa, int fd, int newfd);

    [LibraryImport(LibcName)]
    public static partial int posix_spawn_file_actions_addopen(void* fa, int fd, byte* path, int oflag, uint mode);

    [LibraryImport(LibcName)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(LibcName)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(LibcName)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(LibcName)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport(LibcName)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport(LibcName)]
    public static partial int sigfillset(void* set);

    [LibraryImport(LibcName)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(LibcName, SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    /// <summary>glibc 2.36's wrapper (Linux 5.3): a descriptor that polls readable once the process exits.</summary>
    [LibraryImport(LibcName, SetLastError = true)]
    public static partial int pidfd_open(int pid, uint flags);

    [LibraryImport(LibcName, SetLastError = true)]
    public static partial nint signal(int signum, nint handler);

    [LibraryImport(LibcName, SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    public const int WNOHANG = 1;
    public const int SIGCHLD = 17;
    public const nint SIG_DFL = 0;
}
