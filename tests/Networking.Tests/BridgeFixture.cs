using System.Net;
using System.Net.NetworkInformation;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContainerConsole.Networking.Tests;

/// <summary>
/// One test's HostNetwork with its own table (cctest_RAND) and bridge (cctbRAND on a random 10.252.X.0/24), plus the
/// namespaces it made. Dispose removes the bridge, the table and the namespaces even when the test failed.
/// </summary>
internal sealed class BridgeFixture : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public HostNetwork Network { get; }
    public string Table { get; }
    public BridgeSettings Bridge { get; }
    public int HostPort { get; } = Random.Shared.Next(20000, 40000);

    public BridgeFixture(bool internalBridge = false, bool masquerade = true)
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        Table = "cctest_" + tag;
        var third = Random.Shared.Next(0, 256);
        Bridge = new BridgeSettings("cctb" + tag, IPNetwork.Parse($"10.252.{third}.0/24"), IPAddress.Parse($"10.252.{third}.1"),
            Masquerade: masquerade, Internal: internalBridge);
        Network = new HostNetwork(Table, NullLogger.Instance);
    }

    public IPAddress Address(int host) => IPAddress.Parse($"{Bridge.Gateway.ToString()[..^1]}{host}");

    public TestNetns Namespace(bool linkToHost = false)
    {
        var ns = new TestNetns(linkToHost);
        _owned.Add(ns);
        return ns;
    }

    /// <summary>A namespace attached to the bridge as eth0 with .host and a default route through the gateway.</summary>
    public TestNetns Container(int host, out string hostEnd)
    {
        var ns = Namespace();
        hostEnd = Network.AttachEndpoint(Endpoint(ns, host));
        return ns;
    }

    public EndpointSettings Endpoint(TestNetns ns, int host) =>
        new(ns.Path, Bridge.Name, "eth0", Address(host), 24, Bridge.Gateway, PhysicalAddress.Parse($"02-42-0a-fc-00-{host:x2}"));

    public void Dispose()
    {
        foreach (var o in Enumerable.Reverse(_owned))
            o.Dispose();
        try
        {
            Network.RemoveBridge(Bridge.Name);
        }
        finally
        {
            TestProcess.Run("/usr/sbin/ip", "link", "del", Bridge.Name);
            TestProcess.Run("/usr/sbin/nft", "delete", "table", "ip", Table);
            Network.Dispose();
        }
    }
}
