using System.Runtime.InteropServices;
using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Ccrun;

/// <summary>
/// `run`/`exec` with a terminal and no --console-socket (as runc): ccrun takes the pty
/// master itself and joins it to its own stdio, in raw mode and following window
/// size changes when stdin is a terminal.
/// </summary>
internal sealed class TerminalProxy : IDisposable
{
    private readonly ConsoleSocket _socket;
    private SafeHandle? _master;
    private Thread? _output;
    private byte[]? _savedTermios;
    private PosixSignalRegistration? _winch;

    public TerminalProxy(string root)
    {
        Directory.CreateDirectory(root);
        _socket = new ConsoleSocket(Path.Combine(root, $"console-{Environment.ProcessId}.sock"));
    }

    public string SocketPath => _socket.Path;

    public void Start()
    {
        var fd = _socket.ReceiveMaster(TimeSpan.FromSeconds(30));
        _master = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (Terminal.IsTerminal(0))
        {
            if (Terminal.GetSize(0) is { } size)
                Terminal.SetSize(fd, size.Rows, size.Cols);
            _savedTermios = Terminal.MakeRaw(0);
            _winch = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
            {
                if (Terminal.GetSize(0) is { } s)
                    Terminal.SetSize(fd, s.Rows, s.Cols);
            });
        }
        var master = new FileStream((Microsoft.Win32.SafeHandles.SafeFileHandle)_master, FileAccess.ReadWrite, 1, false);
        _output = new Thread(() => Copy(master, Console.OpenStandardOutput())) { IsBackground = true };
        _output.Start();
        new Thread(() => Copy(Console.OpenStandardInput(), master)) { IsBackground = true }.Start();
    }

    private static void Copy(Stream from, Stream to)
    {
        var buf = new byte[8192];
        try
        {
            int n;
            while ((n = from.Read(buf)) > 0)
            {
                to.Write(buf, 0, n);
                to.Flush();
            }
        }
        catch (IOException)
        {
            // EIO from the master once the last slave fd is closed: the process is gone
        }
    }

    public void Dispose()
    {
        _output?.Join(TimeSpan.FromSeconds(2));
        _winch?.Dispose();
        if (_savedTermios is not null)
            Terminal.Restore(0, _savedTermios);
        _master?.Dispose();
        _socket.Dispose();
    }
}
