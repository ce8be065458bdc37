using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Server.Tests.Infrastructure;

public static class HubClient
{
    /// <summary>
    /// A started connection to <paramref name="hub"/> (e.g. <c>logs</c>) in the in-memory server, signed in with
    /// <paramref name="token"/>: as a bearer header, or with <paramref name="tokenInQuery"/> as <c>?access_token=</c>
    /// on every request, as a browser's WebSocket sends it.
    /// </summary>
    public static async Task<HubConnection> ConnectAsync(ServerFactory server, string hub, string? token, bool tokenInQuery = false)
    {
        var path = "/hubs/" + hub + (tokenInQuery && token is not null ? "?access_token=" + Uri.EscapeDataString(token) : "");
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.Server.BaseAddress, path), options =>
            {
                // TestServer has no sockets: long polling over its in-memory handler.
                options.Transports = HttpTransportType.LongPolling;
                options.HttpMessageHandlerFactory = _ => server.Server.CreateHandler();
                if (!tokenInQuery && token is not null)
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .AddJsonProtocol()
            .Build();
        await connection.StartAsync();
        return connection;
    }
}
