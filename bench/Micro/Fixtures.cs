using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContainerConsole.Agent;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Networking;
using ContainerConsole.Runtime.Spec;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContainerConsole.Bench.Micro;

/// <summary>Containers as the engine holds them after `docker run`, and a network manager that touches no kernel state.</summary>
internal static class Fixtures
{
    public static NetworkManager Network(string dataRoot, string scratch)
    {
        var resolv = Path.Combine(scratch, "resolv.conf");
        File.WriteAllText(resolv, "nameserver 127.0.0.53\n");
        var options = new AgentOptions
        {
            DataRoot = dataRoot, ExecRoot = Path.Combine(scratch, "exec"), Bridge = "ccbench0", BridgeIp = "10.231.0.1/16",
            NetworkLockFile = Path.Combine(scratch, "network.lock"), HostResolvConf = resolv,
        };
        var m = new NetworkManager(options, new NetworkStore(options.NetworkDir), new NoHostNetwork(), new EventBus(), NullLogger<NetworkManager>.Instance);
        m.Initialize();
        return m;
    }

    /// <summary>
    /// The n-th `docker run -d --name web-n -p 8080:80 -e MODE=prod --restart unless-stopped nginx` after create:
    /// the image's settings merged in, Docker's default masked and read-only paths, the default bridge joined.
    /// </summary>
    public static ContainerModel Container(int n, NetworkManager network)
    {
        var c = new ContainerModel
        {
            Id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"container {n}"))),
            Name = $"web-{n}",
            Created = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(n),
            Rootfs = string.Join(':', Enumerable.Range(0, 7).Select(i => $"/var/lib/containerconsole/image/layers/{Hex(i)}/diff")),
            ImageId = "sha256:" + Hex(100),
            Args = ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"],
            Config = new ContainerConfig
            {
                Image = "nginx",
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.27.3", "NJS_VERSION=0.8.8",
                    "NJS_RELEASE=1~bookworm", "PKG_RELEASE=1~bookworm", "DYNPKG_RELEASE=1~bookworm", "MODE=prod"],
                Cmd = ["nginx", "-g", "daemon off;"],
                Entrypoint = ["/docker-entrypoint.sh"],
                StopSignal = "SIGQUIT",
                Labels = new() { ["maintainer"] = "NGINX Docker Maintainers", ["com.example.app"] = "web" },
                ExposedPorts = new() { ["80/tcp"] = JsonDocument.Parse("{}").RootElement },
            },
            HostConfig = new HostConfig
            {
                NetworkMode = "bridge",
                RestartPolicy = new RestartPolicy { Name = "unless-stopped" },
                PortBindings = new() { ["80/tcp"] = JsonDocument.Parse("""[{"HostIp":"","HostPort":"8080"}]""").RootElement },
                MaskedPaths = [.. DefaultSpec.MaskedPaths],
                ReadonlyPaths = [.. DefaultSpec.ReadonlyPaths],
                Runtime = "ccrun",
            },
        };
        c.State.Status = "running";
        c.State.Pid = 10_000 + n;
        c.State.StartedAt = c.Created.AddSeconds(1);
        c.Networks[network.Get(NetworkManager.DefaultBridge).Id] = new EndpointConfig();
        return c;
    }

    private static string Hex(int i) => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));

    private sealed class NoHostNetwork : IHostNetwork
    {
        public void EnsureBridge(BridgeSettings bridge) { }
        public void RemoveBridge(string name) { }
        public IReadOnlyList<IPNetwork> RoutedSubnets() => [];
        public string AttachEndpoint(EndpointSettings endpoint) => "veth0";
        public void DetachEndpoint(string netnsPath, string interfaceName) { }
        public void SetPortForwards(string ownerId, IReadOnlyList<PortForward> forwards) { }
        public void RemovePortForwards(string ownerId) { }
        public void SweepStaleEndpoints() { }
    }
}
