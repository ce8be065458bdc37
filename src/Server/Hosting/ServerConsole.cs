namespace ContainerConsole.Server.Hosting;

/// <summary>
/// What the server tells the person who started it (listening address, first admin password),
/// on standard output and apart from the log. Replaceable so tests can read it.
/// </summary>
public interface IServerConsole
{
    void WriteLine(string line);
}

internal sealed class StandardOutputConsole : IServerConsole
{
    public void WriteLine(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
