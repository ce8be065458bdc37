namespace ContainerConsole.Integration.Tests;

/// <summary>
/// A network namespace made by a test, joined to the host by a veth pair with a private /30: a non-loopback peer
/// address the test owns (the team's rule: traffic only to loopback or to namespaces the test created). Deleting the
/// namespace destroys both veth ends.
/// </summary>
public sealed class TestNetns : IDisposable
{
    public string Name { get; }
    public string HostAddress { get; }
    public string PeerAddress { get; }

    public TestNetns()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        Name = "cc-test-" + tag;
        var subnet = Random.Shared.Next(0, 16384) * 4; // a random /30 in 10.250.0.0/16
        HostAddress = $"10.250.{subnet / 256}.{subnet % 256 + 1}";
        PeerAddress = $"10.250.{subnet / 256}.{subnet % 256 + 2}";
        var hostEnd = "cch" + tag[..6];
        var peerEnd = "ccp" + tag[..6];
        Ip("netns", "add", Name);
        try
        {
            Ip("link", "add", hostEnd, "type", "veth", "peer", "name", peerEnd, "netns", Name);
            Ip("addr", "add", HostAddress + "/30", "dev", hostEnd);
            Ip("link", "set", hostEnd, "up");
            Ip("-n", Name, "addr", "add", PeerAddress + "/30", "dev", peerEnd);
            Ip("-n", Name, "link", "set", peerEnd, "up");
            Ip("-n", Name, "link", "set", "lo", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The command line that runs <paramref name="file"/> inside the namespace.</summary>
    public IEnumerable<string> Exec(string file) => ["/usr/sbin/ip", "netns", "exec", Name, file];

    private static void Ip(params string[] args)
    {
        var r = TestEnvironment.Run("/usr/sbin/ip", args);
        Assert.True(r.ExitCode == 0, $"ip {string.Join(' ', args)}: {r.Stderr}");
    }

    public void Dispose() => TestEnvironment.Run("/usr/sbin/ip", "netns", "del", Name);
}
