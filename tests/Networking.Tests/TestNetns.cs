using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ContainerConsole.Runtime.Interop;

namespace ContainerConsole.Networking.Tests;

/// <summary>
/// A network namespace made by a test (<c>ip netns add</c>), optionally joined to the host by a veth pair with a
/// private /30 in 10.250.0.0/16 (as tests/Integration.Tests/TestNetns.cs): an address outside the host that the test
/// owns (traffic only to loopback or to namespaces the test created). Deleting the namespace removes its links.
/// </summary>
internal sealed class TestNetns : IDisposable
{
    private readonly List<Process> _servers = [];

    public string Name { get; }
    public string Path => $"/run/netns/{Name}";
    public string? HostAddress { get; }
    public string? PeerAddress { get; }

    public TestNetns(bool linkToHost = false)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        Name = "ccnt-" + tag;
        TestProcess.Ip("netns", "add", Name);
        try
        {
            TestProcess.Ip("-n", Name, "link", "set", "lo", "up");
            if (!linkToHost)
                return;
            var subnet = Random.Shared.Next(0, 16384) * 4;
            HostAddress = $"10.250.{subnet / 256}.{subnet % 256 + 1}";
            PeerAddress = $"10.250.{subnet / 256}.{subnet % 256 + 2}";
            var hostEnd = "cctnh" + tag[..6];
            var peerEnd = "cctnp" + tag[..6];
            TestProcess.Ip("link", "add", hostEnd, "type", "veth", "peer", "name", peerEnd, "netns", Name);
            TestProcess.Ip("addr", "add", HostAddress + "/30", "dev", hostEnd);
            TestProcess.Ip("link", "set", hostEnd, "up");
            TestProcess.Ip("-n", Name, "addr", "add", PeerAddress + "/30", "dev", peerEnd);
            TestProcess.Ip("-n", Name, "link", "set", peerEnd, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TestProcess.Result Exec(params string[] command) => TestProcess.Run("/usr/sbin/ip", ["netns", "exec", Name, .. command]);

    /// <summary>busybox httpd serving <paramref name="root"/> on port 80 in the namespace; stopped by <see cref="Dispose"/>.</summary>
    public void StartHttpd(string root)
    {
        _servers.Add(TestProcess.Start("/usr/sbin/ip", "netns", "exec", Name, "/bin/busybox", "httpd", "-f", "-p", "80", "-h", root));
    }

    /// <summary>
    /// An HTTP GET from inside the namespace, retried while the server may still be starting; the body, or null.
    /// busybox nc, not wget: Debian 12's static busybox wget crashes (SIGSEGV) here.
    /// </summary>
    public string? Get(string url, int attempts = 20)
    {
        var uri = new Uri(url);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var r = TestProcess.RunWithInput($"GET {uri.PathAndQuery} HTTP/1.0\r\nHost: {uri.Host}\r\n\r\n", "/usr/sbin/ip",
                "netns", "exec", Name, "/bin/busybox", "nc", "-w", "3", uri.Host, uri.Port.ToString());
            var split = r.Stdout.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (r.ExitCode == 0 && r.Stdout.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && split > 0)
                return r.Stdout[(split + 4)..];
            LastError = $"exit {r.ExitCode}: {r.Stdout} {r.Stderr}";
            Thread.Sleep(100);
        }
        return null;
    }

    /// <summary>What the last failed <see cref="Get"/> printed, for assertion messages.</summary>
    public string? LastError { get; private set; }

    /// <summary>A socket created inside the namespace: a dedicated thread enters it, makes the socket, returns.</summary>
    public unsafe Socket CreateSocket(SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var self = File.OpenHandle("/proc/self/ns/net");
                using var target = File.OpenHandle(Path);
                if (Tmds.Linux.LibC.setns((int)target.DangerousGetHandle(), Tmds.Linux.LibC.CLONE_NEWNET) != 0)
                    throw SyscallException.Last("setns", Path);
                try
                {
                    socket = new Socket(AddressFamily.InterNetwork, type, protocol);
                }
                finally
                {
                    Tmds.Linux.LibC.setns((int)self.DangerousGetHandle(), Tmds.Linux.LibC.CLONE_NEWNET);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw failure!;
    }

    /// <summary>A UDP server in the namespace that answers each datagram with "pong:" and the datagram.</summary>
    public Socket StartUdpEcho(int port)
    {
        var socket = CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, port));
        _ = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            try
            {
                while (true)
                {
                    var r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
                    await socket.SendToAsync(System.Text.Encoding.ASCII.GetBytes("pong:").Concat(buffer[..r.ReceivedBytes]).ToArray(), r.RemoteEndPoint);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
        return socket;
    }

    public void Dispose()
    {
        foreach (var server in _servers)
            TestProcess.Stop(server);
        TestProcess.Run("/usr/sbin/ip", "netns", "del", Name);
    }
}
