using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Interop;

/// <summary>Window size and raw mode for terminals the runtime proxies.</summary>
public static unsafe class Terminal
{
    private const ulong TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows, Cols, XPixel, YPixel;
    }

    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    public static (ushort Rows, ushort Cols)? GetSize(int fd)
    {
        WinSize ws;
        return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? (ws.Rows, ws.Cols) : null;
    }

    public static void SetSize(int fd, ushort rows, ushort cols)
    {
        var ws = new WinSize { Rows = rows, Cols = cols };
        if (ioctl(fd, TIOCSWINSZ, &ws) != 0)
            throw SyscallException.Last("ioctl TIOCSWINSZ");
    }

    /// <summary>Puts a terminal in raw mode; returns the old settings to restore.</summary>
    public static byte[] MakeRaw(int fd)
    {
        var old = new byte[64];
        fixed (byte* p = old)
        {
            if (tcgetattr(fd, p) != 0)
                throw SyscallException.Last("tcgetattr");
            var raw = new byte[64];
            old.CopyTo(raw, 0);
            fixed (byte* r = raw)
            {
                cfmakeraw(r);
                tcsetattr(fd, 0, r);
            }
        }
        return old;
    }

    public static void Restore(int fd, byte[] settings)
    {
        fixed (byte* p = settings)
            tcsetattr(fd, 0, p);
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, void* arg);

    [DllImport("libc.so.6")]
    private static extern int isatty(int fd);

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int tcgetattr(int fd, byte* termios);

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int tcsetattr(int fd, int action, byte* termios);

    [DllImport("libc.so.6")]
    private static extern void cfmakeraw(byte* termios);
}
