using System.Globalization;
using System.Net;
using System.Text.Json;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;
using static ContainerConsole.Server.WebConsole.ConsoleJson;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The detail page's processes (the agent's top), security (inspect and the host's info), settings (inspect read back
/// as run settings) and commit (the REST commit; operator, audited as <c>container.commit</c> (source ui)).
/// </summary>
public sealed class ConsoleContainerInspection(ConsoleGate gate, AgentRegistry agents) : IContainerInspection
{
    private static readonly string[] NamespaceModes = ["PidMode", "IpcMode", "UTSMode", "NetworkMode", "UsernsMode", "CgroupnsMode"];

    public Task<ProcessList> TopAsync(string host, string id, CancellationToken cancellationToken) =>
        CallAsync(host, $"list the processes of {id}", async client =>
        {
            var top = await client.TopAsync(id, null, cancellationToken);
            return new ProcessList(
                [.. Array(top, "Titles").Select(t => t.GetString() ?? "")],
                [.. Array(top, "Processes").Select(p => (IReadOnlyList<string>)[.. p.EnumerateArray().Select(c => c.GetString() ?? "")])]);
        });

    public Task<SecurityInfo> SecurityAsync(string host, string id, CancellationToken cancellationToken) =>
        CallAsync(host, $"inspect {id}", async client =>
        {
            var inspect = await client.InspectContainerAsync(id, cancellationToken);
            var info = await client.GetElementAsync("info", cancellationToken);
            return ReadSecurity(inspect, info);
        });

    /// <summary>The security facts of an inspect, with SELinux's state from the host's <c>/info</c> security options.</summary>
    public static SecurityInfo ReadSecurity(JsonElement inspect, JsonElement info)
    {
        var hostConfig = Child(inspect, "HostConfig");
        var options = Strings(hostConfig, "SecurityOpt");
        var seccomp = options.FirstOrDefault(o => o.StartsWith("seccomp=", StringComparison.Ordinal) || o.StartsWith("seccomp:", StringComparison.Ordinal));
        var privileged = Child(hostConfig, "Privileged").ValueKind == JsonValueKind.True;
        var namespaces = NamespaceModes.Select(mode =>
        {
            var value = Text(hostConfig, mode) ?? "";
            var name = mode[..^4].ToLowerInvariant() switch { "network" => "net", "cgroupns" => "cgroup", var n => n };
            var shown = value switch
            {
                "" or "private" or "default" when mode == "NetworkMode" => "private (default bridge)",
                "" when mode is "UsernsMode" or "CgroupnsMode" => "the engine's default",
                "" or "private" or "shareable" => "private",
                "bridge" => "private (bridge)",
                _ => value,
            };
            return new KeyValuePair<string, string>(name, shown);
        }).Append(new("mnt", "private")).ToList();
        return new SecurityInfo(
            namespaces,
            Strings(hostConfig, "CapAdd"),
            Strings(hostConfig, "CapDrop"),
            privileged,
            privileged ? "unconfined (privileged)" : seccomp is null ? "default profile" : seccomp[8..],
            Strings(info, "SecurityOptions").Any(o => o == "name=selinux" || o.StartsWith("name=selinux,", StringComparison.Ordinal)),
            Text(inspect, "ProcessLabel") is { Length: > 0 } process ? process : null,
            Text(inspect, "MountLabel") is { Length: > 0 } mount ? mount : null,
            options.Any(o => o is "no-new-privileges" or "no-new-privileges:true" or "no-new-privileges=true"),
            Child(hostConfig, "ReadonlyRootfs").ValueKind == JsonValueKind.True,
            Text(Child(inspect, "Config"), "User") ?? "",
            Strings(hostConfig, "ReadonlyPaths"),
            Strings(hostConfig, "MaskedPaths"),
            options);
    }

    public Task<RunRequest> RunSettingsAsync(string host, string id, CancellationToken cancellationToken) =>
        CallAsync(host, $"inspect {id}", async client => ReadSettings(await client.InspectContainerAsync(id, cancellationToken)));

    /// <summary>
    /// A container's settings as run settings. What Docker fills in by itself is left out (PATH, a host name that is
    /// the id's start, the default network), so the result reads like what a person would have typed.
    /// </summary>
    public static RunRequest ReadSettings(JsonElement inspect)
    {
        var config = Child(inspect, "Config");
        var hostConfig = Child(inspect, "HostConfig");
        var id = Text(inspect, "Id") ?? "";
        var ports = new List<RunPort>();
        if (Child(hostConfig, "PortBindings") is { ValueKind: JsonValueKind.Object } bindings)
        {
            foreach (var binding in bindings.EnumerateObject())
            {
                var parts = binding.Name.Split('/');
                if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var containerPort))
                {
                    continue;
                }

                foreach (var hostSide in binding.Value.ValueKind == JsonValueKind.Array ? binding.Value.EnumerateArray() : default)
                {
                    int? hostPort = int.TryParse(Text(hostSide, "HostPort"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : null;
                    ports.Add(new RunPort(containerPort, parts.Length > 1 ? parts[1] : "tcp", hostPort, Text(hostSide, "HostIp") is { Length: > 0 } ip ? ip : null));
                }
            }
        }

        var restart = Child(hostConfig, "RestartPolicy");
        var restartName = Text(restart, "Name") is { Length: > 0 } r ? r : "no";
        var retries = Child(restart, "MaximumRetryCount") is { ValueKind: JsonValueKind.Number } m && m.GetInt32() > 0 ? $":{m.GetInt32()}" : "";
        var network = Text(hostConfig, "NetworkMode");
        var health = Child(config, "Healthcheck");
        var test = Strings(health, "Test");
        var hostname = Text(config, "Hostname");
        return new RunRequest(
            Text(config, "Image") ?? "",
            (Text(inspect, "Name") ?? "").TrimStart('/'),
            Child(config, "Cmd").ValueKind == JsonValueKind.Array ? Strings(config, "Cmd") : null,
            Child(config, "Entrypoint").ValueKind == JsonValueKind.Array ? Strings(config, "Entrypoint") : null,
            [.. Strings(config, "Env").Where(e => !e.StartsWith("PATH=", StringComparison.Ordinal)).Select(e =>
            {
                var eq = e.IndexOf('=');
                return eq < 0 ? new KeyValuePair<string, string>(e, "") : new KeyValuePair<string, string>(e[..eq], e[(eq + 1)..]);
            })],
            ports,
            Strings(hostConfig, "Binds"),
            network is null or "" or "default" or "bridge" ? null : network,
            Number(hostConfig, "Memory") is > 0 and var memory ? memory.ToString(CultureInfo.InvariantCulture) : null,
            Number(hostConfig, "NanoCpus") is > 0 and var nano ? nano / 1e9 : null,
            Number(hostConfig, "PidsLimit") is > 0 and var pids ? pids : null,
            restartName + retries,
            test is ["CMD-SHELL", var shell]
                ? new RunHealthCheck(shell, Nanos(health, "Interval"), Nanos(health, "Timeout"), Child(health, "Retries") is { ValueKind: JsonValueKind.Number } n && n.GetInt32() > 0 ? n.GetInt32() : null, Nanos(health, "StartPeriod"))
                : null,
            Strings(hostConfig, "CapAdd"),
            Strings(hostConfig, "CapDrop"),
            Child(hostConfig, "ReadonlyRootfs").ValueKind == JsonValueKind.True,
            Text(config, "User") is { Length: > 0 } u ? u : null,
            Child(config, "Labels") is { ValueKind: JsonValueKind.Object } labels
                ? [.. labels.EnumerateObject().Where(l => !l.Name.StartsWith("com.containerconsole.", StringComparison.Ordinal)).Select(l => new KeyValuePair<string, string>(l.Name, l.Value.GetString() ?? ""))]
                : [],
            hostname is { Length: > 0 } && !id.StartsWith(hostname, StringComparison.Ordinal) ? hostname : null,
            Child(config, "Tty").ValueKind == JsonValueKind.True);
    }

    public async Task<string> CommitAsync(string host, string id, CommitImageRequest request, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Operate, "commit containers", "container.commit", host, $"{host}/{id}");
        var result = await HostContainerApi.CommitAsync(host, id,
            new Apis.CommitRequest(request.Repository, request.Tag is { Length: > 0 } tag ? tag : null, request.Message, request.Author), agents, cancellationToken);
        return Text(await gate.FinishAsync<JsonElement>(attempt, result.Result), "Id") ?? "";
    }

    private async Task<T> CallAsync<T>(string host, string what, Func<DockerEngineClient, Task<T>> call)
    {
        var agent = agents.Find(host) ?? throw new ConsoleOperationException($"No host is named '{host}'.");
        try
        {
            return await call(agent.Client);
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            throw new ConsoleOperationException($"Could not {what} on {host}: {ex.Message}", ex);
        }
    }

    private static TimeSpan? Nanos(JsonElement element, string name) =>
        Number(element, name) is { } nanos and > 0 ? TimeSpan.FromTicks(nanos / 100) : null;

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        Child(element, name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    private static List<string> Strings(JsonElement element, string name) =>
        [.. Array(element, name).Select(e => e.GetString() ?? "")];
}
