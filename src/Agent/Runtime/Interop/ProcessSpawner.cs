using System.Runtime.InteropServices;
using System.Text;

namespace ContainerConsole.Runtime.Interop;

/// <summary>
/// Starts native helpers with posix_spawn: unlike fork in a managed process it runs
/// no managed code in the child. Every signal is reset to default and the mask
/// cleared, because children otherwise inherit .NET's ignored SIGPIPE; only the fds
/// mapped here (and 0-2) are meant to survive — the helpers close the rest.
/// </summary>
public static unsafe class ProcessSpawner
{
    /// <summary>Resets SIGCHLD to default. Call first thing in Main: if it is ignored,
    /// the kernel auto-reaps children and waitpid fails with ECHILD.</summary>
    public static void ResetSigchld() => Libc.signal(Libc.SIGCHLD, Libc.SIG_DFL);

    public static int Spawn(string path, IReadOnlyList<string> args, IReadOnlyList<string>? env, IReadOnlyDictionary<int, int> fdMap)
    {
        var fa = NativeMemory.AllocZeroed(256);
        var attr = NativeMemory.AllocZeroed(1024);
        var sigset = NativeMemory.AllocZeroed(128);
        var strings = new List<nint>();
        try
        {
            Libc.posix_spawn_file_actions_init(fa);
            // Move every source out of the target range first: dup2(4→3) then
            // dup2(3→4) would otherwise pass the wrong fd, and dup2 onto itself
            // would keep FD_CLOEXEC.
            var staged = new List<int>();
            try
            {
                foreach (var (target, source) in fdMap)
                {
                    var high = Tmds.Linux.LibC.fcntl(source, Tmds.Linux.LibC.F_DUPFD_CLOEXEC, 64);
                    if (high < 0)
                        throw SyscallException.Last("fcntl F_DUPFD_CLOEXEC");
                    staged.Add(high);
                    Libc.posix_spawn_file_actions_adddup2(fa, high, target);
                }
                return SpawnWith(path, args, env, fa, attr, sigset, strings);
            }
            finally
            {
                foreach (var fd in staged)
                    Fds.Close(fd);
            }
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(fa);
            Libc.posix_spawnattr_destroy(attr);
            NativeMemory.Free(fa);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            foreach (var p in strings)
                NativeMemory.Free((void*)p);
        }
    }

    private static int SpawnWith(string path, IReadOnlyList<string> args, IReadOnlyList<string>? env, void* fa, void* attr, void* sigset, List<nint> strings)
    {
        Libc.posix_spawnattr_init(attr);
        Libc.posix_spawnattr_setflags(attr, Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK);
        Libc.sigfillset(sigset);
        Libc.posix_spawnattr_setsigdefault(attr, sigset);
        Libc.sigemptyset(sigset);
        Libc.posix_spawnattr_setsigmask(attr, sigset);

        byte* Str(string s)
        {
            var p = (nint)NativeMemory.Alloc((nuint)Encoding.UTF8.GetMaxByteCount(s.Length) + 1);
            var n = Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, Encoding.UTF8.GetMaxByteCount(s.Length)));
            ((byte*)p)[n] = 0;
            strings.Add(p);
            return (byte*)p;
        }
        byte** Vec(IEnumerable<string> items)
        {
            var list = items.ToList();
            var v = (byte**)NativeMemory.AllocZeroed((nuint)(list.Count + 1) * (nuint)sizeof(nint));
            strings.Add((nint)v);
            for (var i = 0; i < list.Count; i++)
                v[i] = Str(list[i]);
            return v;
        }

        var argv = Vec(new[] { path }.Concat(args));
        var envp = Vec(env ?? DefaultEnvironment());
        var rc = Libc.posix_spawn(out var pid, Str(path), fa, attr, argv, envp);
        if (rc != 0)
            throw new SyscallException("posix_spawn", rc, path);
        return pid;
    }

    private static IEnumerable<string> DefaultEnvironment()
    {
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            yield return $"{e.Key}={e.Value}";
    }

    /// <summary>Waits for one specific child (never waitpid(-1): other parts of the process own other children).</summary>
    public static int Wait(int pid, CancellationToken ct = default)
    {
        while (true)
        {
            var r = Libc.waitpid(pid, out var status, 0);
            if (r == pid)
                return ExitCodeOf(status);
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errnos.EINTR)
                throw new SyscallException("waitpid", errno, pid.ToString());
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Non-blocking wait: the exit code, or null while it runs.</summary>
    public static int? TryWait(int pid)
    {
        var r = Libc.waitpid(pid, out var status, Libc.WNOHANG);
        if (r == pid)
            return ExitCodeOf(status);
        if (r == 0)
            return null;
        throw SyscallException.Last("waitpid", pid.ToString());
    }

    /// <summary>The shell convention: the exit code, or 128 + the signal that killed it.</summary>
    public static int ExitCodeOf(int status) =>
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
}
