using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Server.Tests.Infrastructure;

public static class HubClient
{
    /// <summary>A started connection to <paramref name="hub"/> (e.g. <c>logs</c>) in the in-memory server, signed in with <paramref name="token"/>.</summary>
    public static async Task<HubConnection> ConnectAsync(ServerFactory server, string hub, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.Server.BaseAddress, "/hubs/" + hub), options =>
            {
                // TestServer has no sockets: long polling over its in-memory handler.
                options.Transports = HttpTransportType.LongPolling;
                options.HttpMessageHandlerFactory = _ => server.Server.CreateHandler();
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .AddJsonProtocol()
            .Build();
        await connection.StartAsync();
        return connection;
    }
}
