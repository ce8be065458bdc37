using System.Text.Json;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Containers;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The run dialog's server side: the request becomes the REST create model (<see cref="ContainerSpec"/>) and goes
/// through the same create as <c>POST /api/v1/hosts/{host}/containers?start=true</c> (same checks, same removal of a
/// container that cannot start). Operator role; every attempt is audited as <c>container.run</c> (source ui).
/// </summary>
public sealed class ConsoleContainerRunner(ConsoleGate gate, AgentRegistry agents) : IContainerRunner
{
    public async Task<RunChoices> GetChoicesAsync(string host, CancellationToken cancellationToken)
    {
        var agent = agents.Find(host) ?? throw new KeyNotFoundException($"No host is named '{host}'.");
        try
        {
            var images = await agent.Client.ListImagesAsync(all: false, cancellationToken);
            var networks = await agent.Client.ListNetworksAsync(cancellationToken);
            return new RunChoices(
                [.. images.EnumerateArray()
                    .SelectMany(i => i.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array ? tags.EnumerateArray() : [])
                    .Select(t => t.GetString() ?? "")
                    .Where(t => t.Length > 0 && t != "<none>:<none>")
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal)],
                [.. networks.EnumerateArray()
                    .Select(n => n.TryGetProperty("Name", out var name) ? name.GetString() ?? "" : "")
                    .Where(n => n.Length > 0)
                    .Order(StringComparer.Ordinal)]);
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            throw new ConsoleOperationException($"Could not list the images and networks of {host}: {ex.Message}", ex);
        }
    }

    public async Task<string> RunAsync(string host, RunRequest request, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Operate, "run containers", "container.run", host, $"{host}/{request.Name ?? request.Image}");
        var result = (await HostContainerApi.CreateAsync(host, ToSpec(request), agents, cancellationToken, start: true)).Result;
        if (result is Created<ContainerCreated> { Value: { } created })
        {
            attempt = attempt with { Target = $"{host}/{created.Id}" };
        }

        return (await gate.FinishAsync<ContainerCreated>(attempt, result)).Id;
    }

    /// <summary>The dialog's request in the REST create model's words.</summary>
    public static ContainerSpec ToSpec(RunRequest request) => new(
        request.Image,
        request.Name,
        request.Cmd,
        request.Entrypoint,
        request.Env is { Count: > 0 } env ? env.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value) : null,
        request.Ports?.Select(p => new PortSpec(p.ContainerPort, p.Protocol, p.HostPort, p.HostIp)).ToList(),
        request.Volumes is { Count: > 0 } volumes ? volumes : null,
        Mounts: request.Mounts?.Select(m => new MountSpec(m.Type, m.Source, m.Target, m.ReadOnly)).ToList(),
        Networks: request.Network is { } network ? [new NetworkSpec(network, request.NetworkAliases)] : null,
        Memory: request.Memory,
        Cpus: request.Cpus,
        PidsLimit: request.PidsLimit,
        RestartPolicy: request.RestartPolicy,
        HealthCheck: request.HealthCheck is { } h
            ? new HealthCheckSpec(["CMD-SHELL", h.Command], h.Interval, h.Timeout, h.Retries, h.StartPeriod)
            : null,
        CapAdd: request.CapAdd is { Count: > 0 } add ? add : null,
        CapDrop: request.CapDrop is { Count: > 0 } drop ? drop : null,
        ReadOnly: request.ReadOnly ? true : null,
        User: request.User,
        WorkingDir: request.WorkingDir,
        Labels: request.Labels is { Count: > 0 } labels ? labels.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value) : null,
        Tty: request.Tty ? true : null,
        Hostname: request.Hostname);
}
