using System.Collections.Concurrent;
using ContainerConsole.Runtime.State;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Runtime.Interop;

/// <summary>
/// Calls back when a watched process exits: a pidfd per process in one epoll set, waited on by one thread. The
/// container monitors are not the agent's children (they double-fork so they outlive it), so waitpid cannot see them;
/// a pidfd can, and without polling /proc or exit files on a timer.
/// </summary>
public sealed unsafe class ProcessExitNotifier : IDisposable
{
    private readonly int _epoll;
    private readonly int _wake; // an eventfd in the set: Dispose ends the thread through it
    private readonly Action<int> _exited;
    private readonly ConcurrentDictionary<int, int> _pidByFd = new();
    private readonly Thread _thread;
    private volatile bool _disposed;

    /// <param name="exited">Called on the notifier's thread with the pid of a watched process that exited.</param>
    public ProcessExitNotifier(Action<int> exited)
    {
        _exited = exited;
        _epoll = epoll_create1(EPOLL_CLOEXEC);
        if (_epoll < 0)
            throw SyscallException.Last("epoll_create1", "process exit notifier");
        _wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (_wake < 0)
            throw SyscallException.Last("eventfd", "process exit notifier");
        Add(_wake);
        _thread = new Thread(Loop) { IsBackground = true, Name = "process exits" };
        _thread.Start();
    }

    /// <summary>Watches <paramref name="process"/>; false when it is already gone (the caller handles its exit now).</summary>
    public bool Watch(ProcessIdentity process)
    {
        var fd = Libc.pidfd_open(process.Pid, 0);
        if (fd < 0)
            return false;
        // the pid may have been reused between the exit and pidfd_open: the start time says whether it is the same process
        if (!process.IsAlive)
        {
            close(fd);
            return false;
        }
        _pidByFd[fd] = process.Pid;
        Add(fd);
        return true;
    }

    private void Add(int fd)
    {
        var ev = new epoll_event { events = EPOLLIN };
        ev.data.fd = fd;
        if (epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
            throw SyscallException.Last("epoll_ctl", "process exit notifier");
    }

    private void Loop()
    {
        var events = stackalloc epoll_event[32];
        while (!_disposed)
        {
            var n = epoll_wait(_epoll, events, 32, -1);
            if (n < 0)
                continue; // EINTR
            for (var i = 0; i < n; i++)
            {
                var fd = events[i].data.fd;
                if (fd == _wake || !_pidByFd.TryRemove(fd, out var pid))
                    continue;
                epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, null);
                close(fd);
                _exited(pid);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        ulong one = 1;
        write(_wake, &one, sizeof(ulong));
        _thread.Join(TimeSpan.FromSeconds(5));
        foreach (var fd in _pidByFd.Keys)
            close(fd);
        close(_wake);
        close(_epoll);
    }
}
