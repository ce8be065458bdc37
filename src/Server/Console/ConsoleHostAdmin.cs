using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosts;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>Registers, changes and removes agents for the hosts page through the REST host API's handlers: admin only, audited.</summary>
public sealed class ConsoleHostAdmin(ConsoleGate gate, AgentRegistry registry, HostsService hosts) : IHostAdmin
{
    private const string Manage = "register, change or remove hosts";

    public async Task<HostStatus> RegisterAsync(HostRegistrationRequest request, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "host.register", request.Name, request.Uri);
        var result = await HostApi.RegisterAsync(ToApi(request), registry, hosts, cancellationToken);
        return await gate.FinishAsync<HostStatus>(attempt, result.Result);
    }

    public async Task<HostStatus> UpdateAsync(int id, HostRegistrationRequest request, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "host.update", request.Name, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var result = await HostApi.UpdateAsync(id, ToApi(request), registry, hosts, cancellationToken);
        return await gate.FinishAsync<HostStatus>(attempt, result.Result);
    }

    public async Task RemoveAsync(int id, string name, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "host.remove", name, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await gate.FinishAsync(attempt, (await HostApi.RemoveAsync(id, registry, cancellationToken)).Result);
    }

    private static HostRequest ToApi(HostRegistrationRequest request) =>
        new(request.Name, request.Uri, request.MutualTls ? new HostTlsRequest(request.CaCert, request.Cert, request.Key) : null);
}
