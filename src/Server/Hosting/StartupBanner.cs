using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Users;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Hosting;

/// <summary>Once the server listens, says where and how to sign in.</summary>
public sealed class StartupBanner(
    IServer server,
    IHostApplicationLifetime lifetime,
    AdminBootstrapper bootstrapper,
    AgentRegistry agents,
    IOptions<ServerOptions> options,
    IServerConsole console) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Print()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0)
        {
            return; // in-memory test server
        }

        var signIn = bootstrapper.Outcome switch
        {
            AdminBootstrapOutcome.CreatedFromEnvironment => $"sign in as admin (password from {ServerOptions.AdminPasswordVariable})",
            AdminBootstrapOutcome.CreatedWithRandomPassword => "sign in as admin (password printed above)",
            _ => $"sign in as admin or another user of the {Infrastructure.DatabaseSetup.Describe(options.Value)}",
        };
        console.WriteLine($"ContainerConsole server on {string.Join(", ", addresses)} — {signIn}");
        console.WriteLine($"Agents: {string.Join(", ", agents.Hosts.Select(h => h.Endpoint.ToString()))}");
    }
}
