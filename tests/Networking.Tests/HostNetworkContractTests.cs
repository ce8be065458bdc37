using System.Net;
using ContainerConsole.Networking;

namespace ContainerConsole.Networking.Tests;

public class HostNetworkContractTests
{
    [Fact]
    public void Port_forward_without_host_ip_answers_on_every_address()
    {
        var forward = new PortForward("tcp", null, 8080, IPAddress.Parse("172.18.0.2"), 80, "cc0");
        Assert.Null(forward.HostIp);
        Assert.Equal(8080, forward.HostPort);
    }
}
