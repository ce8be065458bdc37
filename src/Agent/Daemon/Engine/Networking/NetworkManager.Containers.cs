using System.Net;
using System.Net.NetworkInformation;
using ContainerConsole.Networking;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Agent.Engine;

/// <summary>A container's networking through its life: the modes at create, the endpoints and ports at start, release at exit.</summary>
public sealed partial class NetworkManager
{
    private const string ContainerModePrefix = "container:";

    public static bool IsContainerMode(string? mode) => mode?.StartsWith(ContainerModePrefix, StringComparison.Ordinal) == true;

    public static string ContainerModeTarget(string mode) => mode[ContainerModePrefix.Length..];

    /// <summary>
    /// At create: HostConfig.NetworkMode (bridge when empty or "default") and NetworkingConfig.EndpointsConfig become the
    /// networks the container joins at each start (<see cref="ContainerModel.Networks"/>, by network id).
    /// </summary>
    public void ResolveAtCreate(ContainerModel c, NetworkingConfig? networking, Func<string, ContainerModel> getContainer)
    {
        var mode = c.HostConfig.NetworkMode;
        if (string.IsNullOrEmpty(mode) || mode == "default")
            mode = DefaultBridge;
        // the docker CLI names the default network "default" in EndpointsConfig too
        var requested = (networking?.EndpointsConfig ?? []).ToDictionary(kv => kv.Key == "default" ? DefaultBridge : kv.Key, kv => kv.Value);
        c.Networks.Clear();
        if (IsContainerMode(mode))
        {
            var target = getContainer(ContainerModeTarget(mode));
            if (target.Id == c.Id)
                throw EngineException.BadRequest("cannot join own network namespace");
            c.HostConfig.NetworkMode = mode;
            if (requested.Count > 0)
                throw EngineException.BadRequest("conflicting options: container type network can't be used with other networks");
            if (!string.IsNullOrEmpty(c.Config.Hostname))
                throw EngineException.BadRequest("conflicting options: hostname and the network mode"); // it takes the target's
            return;
        }
        ValidateHostSettings(c.HostConfig);
        // 400, not dockerd's 404: the docker CLI takes a 404 from create for a missing image and tries to pull it.
        var primary = Find(mode) ?? throw EngineException.BadRequest($"network {mode} not found");
        c.HostConfig.NetworkMode = primary.Name;
        if (!primary.IsBridge)
        {
            if (requested.Keys.Any(k => Find(k)?.Id != primary.Id))
                throw EngineException.BadRequest($"conflicting options: cannot attach both user-defined and non-user-defined network-modes ({primary.Name})");
            return;
        }
        c.Networks[primary.Id] = Validated(primary, requested.FirstOrDefault(kv => Find(kv.Key)?.Id == primary.Id).Value ?? new EndpointConfig());
        foreach (var (key, config) in requested)
        {
            var n = Find(key) ?? throw EngineException.BadRequest($"network {key} not found");
            if (n.Id == primary.Id)
                continue;
            if (!n.IsBridge)
                throw EngineException.BadRequest($"conflicting options: cannot attach both user-defined and non-user-defined network-modes ({n.Name})");
            c.Networks[n.Id] = Validated(n, config);
        }
    }

    /// <summary>-p, --add-host and --dns are checked at create, so a mistake is not found only at start.</summary>
    private void ValidateHostSettings(HostConfig hc)
    {
        PortPublishing.Requests(hc, []);
        foreach (var entry in hc.ExtraHosts ?? [])
            NameFiles.ParseExtraHost(entry, HostGateway ?? IPAddress.Any);
        foreach (var server in hc.Dns ?? [])
            if (!IPAddress.TryParse(server, out _))
                throw EngineException.BadRequest($"invalid --dns {server}: an IP address is expected");
    }

    private static EndpointConfig Validated(NetworkRecord n, EndpointConfig config)
    {
        if (n.Builtin && config.Aliases is { Count: > 0 })
            throw EngineException.BadRequest("network-scoped alias is supported only for containers in user defined networks");
        if (n.Builtin && !string.IsNullOrEmpty(config.IPAMConfig?.IPv4Address))
            throw EngineException.BadRequest("user specified IP address is supported on user defined networks only");
        if (config.IPAMConfig?.IPv4Address is { Length: > 0 } ip && (!IPAddress.TryParse(ip, out var a) || !IPNetwork.Parse(n.Subnet).Contains(a)))
            throw EngineException.BadRequest($"no configured subnet or ip-range contain the IP address {ip}");
        return new EndpointConfig { Aliases = config.Aliases, IPAMConfig = config.IPAMConfig };
    }

    /// <summary>
    /// The spec's part: no network namespace for host mode, the target's for container: mode (known only at start), and
    /// the name files bind-mounted (the agent writes them at each start).
    /// </summary>
    public void ApplyToSpec(ContainerModel c, RuntimeSpec spec, string containerDir, string? joinNetns)
    {
        var namespaces = spec.Linux!.Namespaces;
        if (c.HostConfig.NetworkMode == "host")
            namespaces.RemoveAll(n => n.Type == "network");
        else if (joinNetns is not null)
            namespaces.First(n => n.Type == "network").Path = joinNetns;
        // The hostname Prepare chose: the host's in host mode, the target's in container mode (as dockerd).
        var hostnameFile = Path.Combine(containerDir, "hostname");
        if (File.Exists(hostnameFile))
            spec.Hostname = File.ReadAllText(hostnameFile).Trim();
        foreach (var destination in NameFiles.Destinations)
        {
            spec.Mounts.RemoveAll(m => m.Destination == destination);
            spec.Mounts.Add(new Mount { Destination = destination, Type = "bind", Source = Path.Combine(containerDir, Path.GetFileName(destination)), Options = ["rbind", "rprivate"] });
        }
    }

    /// <summary>
    /// Before the runtime creates the container: reserves its addresses and host ports, records them, and writes its
    /// name files. Nothing is in the kernel yet; <see cref="Release"/> undoes it.
    /// </summary>
    public StartPlan Prepare(ContainerModel c, string containerDir, IReadOnlyList<string> exposedPorts, Func<string, ContainerModel> getContainer)
    {
        var mode = c.HostConfig.NetworkMode ?? DefaultBridge;
        var hostname = !string.IsNullOrEmpty(c.Config.Hostname) ? c.Config.Hostname : mode == "host" ? Environment.MachineName : c.Id[..12];
        AtomicFile.WriteDerivedText(Path.Combine(containerDir, "hostname"), NameFiles.Hostname(hostname));
        var hostResolv = File.Exists(options.HostResolvConf) ? File.ReadAllText(options.HostResolvConf) : "";
        if (mode == "host")
        {
            AtomicFile.WriteDerivedText(Path.Combine(containerDir, "hosts"), File.Exists("/etc/hosts") ? File.ReadAllText("/etc/hosts") : NameFiles.Hosts(hostname, null, [], null));
            AtomicFile.WriteDerivedText(Path.Combine(containerDir, "resolv.conf"), hostResolv);
            return new StartPlan([], [], null);
        }
        if (IsContainerMode(mode))
        {
            var target = getContainer(ContainerModeTarget(mode));
            if (target.State.Status != "running")
                throw EngineException.Conflict($"cannot join network namespace of a non running container: {target.Id}");
            // Docker shares the target's files: the same addresses, the same nameservers.
            var targetDir = Path.GetDirectoryName(containerDir)!;
            foreach (var file in new[] { "hostname", "hosts", "resolv.conf" })
                AtomicFile.WriteDerivedText(Path.Combine(containerDir, file), File.ReadAllText(Path.Combine(targetDir, target.Id, file)));
            return new StartPlan([], [], $"/proc/{target.State.Pid}/ns/net");
        }
        var extraHosts = c.HostConfig.ExtraHosts ?? [];
        var dns = (IReadOnlyList<string>?)c.HostConfig.Dns ?? [];
        var dnsSearch = (IReadOnlyList<string>?)c.HostConfig.DnsSearch ?? [];
        var dnsOptions = (IReadOnlyList<string>?)c.HostConfig.DnsOptions ?? [];
        if (c.Networks.Count == 0)
        {
            AtomicFile.WriteDerivedText(Path.Combine(containerDir, "hosts"), NameFiles.Hosts(hostname, null, extraHosts, HostGateway));
            AtomicFile.WriteDerivedText(Path.Combine(containerDir, "resolv.conf"), NameFiles.ResolvConf(hostResolv, dns, dnsSearch, dnsOptions, null));
            return new StartPlan([], [], null); // none: loopback only
        }
        var endpoints = new List<(NetworkRecord, EndpointRecord)>();
        try
        {
            foreach (var (networkId, config) in c.Networks)
            {
                var n = EnsureDeclared(networkId);
                lock (_lock)
                {
                    var address = Ipam.Allocate(n, config.IPAMConfig?.IPv4Address);
                    var endpoint = new EndpointRecord
                    {
                        ContainerId = c.Id, ContainerName = c.Name, EndpointId = NewId(), Address = address.ToString(), MacAddress = Ipam.MacFor(address),
                        InterfaceName = $"eth{endpoints.Count}", Aliases = config.Aliases ?? [],
                    };
                    n.Endpoints[c.Id] = endpoint;
                    store.Save(n);
                    endpoints.Add((n, endpoint));
                }
            }
            List<PublishedPort> ports;
            lock (_lock)
            {
                var taken = store.LoadSandboxes().Where(s => s.ContainerId != c.Id).SelectMany(s => s.Ports).ToList();
                ports = PortPublishing.Assign(PortPublishing.Requests(c.HostConfig, exposedPorts), taken, PortPublishing.EphemeralRange(), PortPublishing.CanBind);
                store.Save(new SandboxRecord { ContainerId = c.Id, Ports = ports });
            }
            var (primary, own) = endpoints[0];
            AtomicFile.WriteDerivedText(Path.Combine(containerDir, "hosts"), NameFiles.Hosts(hostname, IPAddress.Parse(own.Address), extraHosts, HostGateway));
            AtomicFile.WriteDerivedText(Path.Combine(containerDir, "resolv.conf"),
                NameFiles.ResolvConf(hostResolv, dns, dnsSearch, dnsOptions, primary.HasEmbeddedDns ? IPAddress.Parse(primary.Gateway) : null));
            return new StartPlan(endpoints, ports, null);
        }
        catch
        {
            Release(c.Id);
            throw;
        }
    }

    /// <summary>The network by id, its bridge declared (a subnet chosen) if that did not happen yet.</summary>
    private NetworkRecord EnsureDeclared(string networkId)
    {
        NetworkRecord n;
        lock (_lock)
            n = _networks.GetValueOrDefault(networkId) ?? throw new EngineException(404, $"network {networkId} not found");
        if (n.Subnet.Length == 0)
        {
            try
            {
                DeclareBridge(n);
            }
            catch (Exception e) when (e is not EngineException)
            {
                throw new EngineException(500, $"failed to set up network {n.Name}: {e.Message}");
            }
        }
        return n;
    }

    /// <summary>After the runtime created the container (its init pid and so its namespace exist): veth pairs and port forwards.</summary>
    public void Attach(ContainerModel c, StartPlan plan, int initPid)
    {
        if (plan.Endpoints.Count == 0)
            return;
        var netns = $"/proc/{initPid}/ns/net";
        var attached = new List<string>();
        try
        {
            foreach (var (n, e) in plan.Endpoints)
            {
                host.AttachEndpoint(Endpoint(netns, n, e, defaultRoute: attached.Count == 0));
                attached.Add(e.InterfaceName);
            }
            lock (_lock)
                store.Save(new SandboxRecord { ContainerId = c.Id, NetnsPath = netns, Ports = plan.Ports });
            if (plan.Ports.Count > 0)
                host.SetPortForwards(c.Id, Forwards(plan.Endpoints[0].Network, plan.Endpoints[0].Endpoint, plan.Ports));
        }
        catch (Exception e)
        {
            // the namespace is still the container's (its init is created, not started): take back what went in
            foreach (var name in attached)
                Try(() => host.DetachEndpoint(netns, name), $"detaching {name}");
            if (e is EngineException)
                throw;
            throw new EngineException(500, $"failed to set up the network of container {c.Id[..12]}: {e.Message}");
        }
    }

    private static EndpointSettings Endpoint(string netns, NetworkRecord n, EndpointRecord e, bool defaultRoute) =>
        new(netns, n.BridgeName, e.InterfaceName, IPAddress.Parse(e.Address), n.PrefixLength,
            defaultRoute && !n.Internal ? IPAddress.Parse(n.Gateway) : null, PhysicalAddress.Parse(e.MacAddress));

    private static List<PortForward> Forwards(NetworkRecord n, EndpointRecord e, IEnumerable<PublishedPort> ports) =>
        [.. ports.Select(p => new PortForward(p.Protocol, p.HostIp == "0.0.0.0" ? null : IPAddress.Parse(p.HostIp), p.HostPort,
            IPAddress.Parse(e.Address), p.ContainerPort, n.BridgeName))];

    /// <summary>
    /// The container stopped (or its start failed): its addresses and ports are free again. Its veth pairs went with its
    /// namespace. Idempotent.
    /// </summary>
    public void Release(string containerId)
    {
        SandboxRecord? sandbox;
        lock (_lock)
        {
            foreach (var n in _networks.Values.Where(n => n.Endpoints.Remove(containerId)))
                store.Save(n);
            sandbox = store.LoadSandbox(containerId);
            store.DeleteSandbox(containerId);
        }
        if (sandbox is { Ports.Count: > 0 })
            Try(() => host.RemovePortForwards(containerId), $"removing the port forwards of {containerId}");
    }

    /// <summary>Cleanup that must not hide the error being handled (or stop the rest of the cleanup).</summary>
    private void Try(Action action, string what)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.LogWarning("{What}: {Message}", what, e.Message);
        }
    }

    /// <summary>
    /// At agent start, after the containers were re-adopted: the running ones get their forwards declared again, what
    /// belonged to containers that stopped meanwhile is released.
    /// </summary>
    public void Restore(IEnumerable<ContainerModel> containers)
    {
        var running = containers.Where(c => c.State.IsActive).ToDictionary(c => c.Id);
        foreach (var sandbox in store.LoadSandboxes().ToList())
        {
            if (!running.ContainsKey(sandbox.ContainerId))
            {
                log.LogInformation("releasing the network resources of {Id}, which stopped while the agent was away", sandbox.ContainerId);
                Release(sandbox.ContainerId);
                continue;
            }
            var primary = EndpointsOf(sandbox.ContainerId).FirstOrDefault(x => x.Endpoint.InterfaceName == "eth0");
            if (sandbox.Ports.Count > 0 && primary.Network is not null)
                host.SetPortForwards(sandbox.ContainerId, Forwards(primary.Network, primary.Endpoint, sandbox.Ports));
        }
        lock (_lock)
        {
            foreach (var n in _networks.Values)
            {
                var stale = n.Endpoints.Keys.Where(id => !running.ContainsKey(id)).ToList();
                foreach (var id in stale)
                    n.Endpoints.Remove(id);
                if (stale.Count > 0)
                    store.Save(n);
            }
        }
    }

    /// <summary>docker network connect: recorded for every start; a running container gets its interface now.</summary>
    public void Connect(ContainerModel c, NetworkRecord n, EndpointConfig config)
    {
        var mode = c.HostConfig.NetworkMode ?? DefaultBridge;
        if (!n.IsBridge)
            throw EngineException.BadRequest(n.Driver == NetworkRecord.HostDriver
                ? "container cannot be disconnected from host network or connected to host network"
                : "container cannot be connected to multiple networks with one of the networks in private (none) mode");
        if (mode == "host" || mode == "none" || IsContainerMode(mode))
            throw EngineException.BadRequest($"container sharing network namespace with another container or host cannot be connected to any other network ({mode})");
        if (c.Networks.ContainsKey(n.Id))
            throw new EngineException(403, $"endpoint with name {c.Name} already exists in network {n.Name}");
        config = Validated(n, config);
        if (c.State.IsActive && store.LoadSandbox(c.Id) is { NetnsPath.Length: > 0 } sandbox)
        {
            EnsureDeclared(n.Id);
            EndpointRecord e;
            lock (_lock)
            {
                var used = EndpointsOfLocked(c.Id).Select(x => x.Endpoint.InterfaceName).ToHashSet();
                var address = Ipam.Allocate(n, config.IPAMConfig?.IPv4Address);
                e = new EndpointRecord
                {
                    ContainerId = c.Id, ContainerName = c.Name, EndpointId = NewId(), Address = address.ToString(), MacAddress = Ipam.MacFor(address),
                    InterfaceName = Enumerable.Range(0, 64).Select(i => $"eth{i}").First(i => !used.Contains(i)), Aliases = config.Aliases ?? [],
                };
                n.Endpoints[c.Id] = e;
                store.Save(n);
            }
            try
            {
                host.AttachEndpoint(Endpoint(sandbox.NetnsPath, n, e, defaultRoute: false));
            }
            catch (Exception error)
            {
                lock (_lock)
                {
                    n.Endpoints.Remove(c.Id);
                    store.Save(n);
                }
                if (error is EngineException)
                    throw;
                throw new EngineException(500, $"failed to connect container {c.Id[..12]} to network {n.Name}: {error.Message}");
            }
        }
        c.Networks[n.Id] = config;
        Publish(n, "connect", c.Id);
    }

    /// <summary>docker network disconnect: a running container loses the interface at once.</summary>
    public void Disconnect(ContainerModel c, NetworkRecord n, bool force)
    {
        EndpointRecord? e;
        lock (_lock)
            e = n.Endpoints.GetValueOrDefault(c.Id);
        if (!c.Networks.ContainsKey(n.Id) && e is null)
        {
            if (n.Driver == NetworkRecord.HostDriver || (c.HostConfig.NetworkMode == n.Name && !n.IsBridge))
                throw EngineException.BadRequest("container cannot be disconnected from host network or connected to host network");
            if (force)
                return;
            throw new EngineException(403, $"container {c.Id} is not connected to network {n.Name}");
        }
        if (e is not null)
        {
            if (store.LoadSandbox(c.Id) is { NetnsPath.Length: > 0 } sandbox && c.State.IsActive)
                host.DetachEndpoint(sandbox.NetnsPath, e.InterfaceName);
            lock (_lock)
            {
                n.Endpoints.Remove(c.Id);
                store.Save(n);
            }
        }
        c.Networks.Remove(n.Id);
        Publish(n, "disconnect", c.Id);
    }

    private List<(NetworkRecord Network, EndpointRecord Endpoint)> EndpointsOfLocked(string containerId) =>
        [.. _networks.Values.Where(n => n.Endpoints.ContainsKey(containerId)).Select(n => (n, n.Endpoints[containerId]))];

    /// <summary>A rename reaches the embedded DNS: the container answers to its new name.</summary>
    public void Renamed(ContainerModel c)
    {
        lock (_lock)
        {
            foreach (var n in _networks.Values.Where(n => n.Endpoints.ContainsKey(c.Id)))
            {
                n.Endpoints[c.Id].ContainerName = c.Name;
                store.Save(n);
            }
        }
    }
}
