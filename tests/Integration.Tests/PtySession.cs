using System.Runtime.InteropServices;
using System.Text;
using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// A command on a pseudo-terminal of its own, as at a user's terminal: what `docker run -it`
/// and `docker exec -it` need (they refuse without one). The test types and reads the screen.
/// </summary>
public sealed unsafe class PtySession : IDisposable
{
    private readonly int _master;
    private readonly int _pid;
    private readonly StringBuilder _screen = new();
    private readonly Thread _reader;
    private volatile bool _closing;
    private int? _exitCode;

    private PtySession(int master, int pid)
    {
        (_master, _pid) = (master, pid);
        _reader = new Thread(Read) { IsBackground = true };
        _reader.Start();
    }

    public static PtySession Start(ushort rows, ushort cols, string file, params string[] args)
    {
        var master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
            throw new InvalidOperationException($"no pseudo-terminal: errno {Marshal.GetLastPInvokeError()}");
        var name = new byte[128];
        fixed (byte* p = name)
            if (ptsname_r(master, p, name.Length) != 0)
                throw new InvalidOperationException("ptsname_r failed");
        var slavePath = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        Terminal.SetSize(master, rows, cols);
        using var slave = File.OpenHandle(slavePath, FileMode.Open, FileAccess.ReadWrite);
        var fd = (int)slave.DangerousGetHandle();
        var pid = ProcessSpawner.Spawn(file, args, null, new Dictionary<int, int> { [0] = fd, [1] = fd, [2] = fd });
        return new PtySession(master, pid);
    }

    public string Screen
    {
        get
        {
            lock (_screen)
                return _screen.ToString();
        }
    }

    public void Type(string text) => Fds.WriteAll(_master, Encoding.UTF8.GetBytes(text));

    /// <summary>Waits until the screen shows the text; on timeout fails with what it shows.</summary>
    public void WaitFor(string text, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!Screen.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"terminal never showed \"{text}\"; it shows:\n{Screen}");
            Thread.Sleep(20);
        }
    }

    public int WaitExit(int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (_exitCode is null)
        {
            _exitCode = ProcessSpawner.TryWait(_pid);
            if (_exitCode is null && DateTime.UtcNow > deadline)
                Assert.Fail($"the command on the terminal did not exit; it shows:\n{Screen}");
            Thread.Sleep(20);
        }
        return _exitCode.Value;
    }

    private void Read()
    {
        var buf = new byte[4096];
        while (!_closing)
        {
            var pfd = new PollFd { Fd = _master, Events = 1 };
            if (poll(&pfd, 1, 100) <= 0)
                continue;
            int n;
            fixed (byte* p = buf)
                n = (int)read(_master, p, buf.Length);
            if (n <= 0)
                return; // EIO: every holder of the terminal is gone
            lock (_screen)
                _screen.Append(Encoding.UTF8.GetString(buf, 0, n));
        }
    }

    public void Dispose()
    {
        if (_exitCode is null)
        {
            Fds.Kill(_pid, 9);
            ProcessSpawner.Wait(_pid);
        }
        _closing = true;
        _reader.Join();
        Fds.Close(_master);
    }

    private const int O_RDWR = 2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events, Revents;
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc.so.6")]
    private static extern int ptsname_r(int fd, byte* buf, nint len);

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int poll(PollFd* fds, nuint n, int timeout);

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern nint read(int fd, byte* buf, nint count);
}
