using ContainerConsole.Server.Hosting;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>Collects what the server would print on standard output.</summary>
public sealed class CapturingConsole : IServerConsole
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public void WriteLine(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
        }
    }
}
