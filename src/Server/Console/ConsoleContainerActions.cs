using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// Container actions from the console, checked (operator or admin, as <c>POST /api/v1/hosts/{host}/containers/{id}/{action}</c>)
/// and audited as <c>container.&lt;verb&gt;</c> (source ui) by <see cref="ConsoleOperations"/>.
/// </summary>
public sealed class ConsoleContainerActions(ConsoleOperations operations) : IContainerActions
{
    public async Task RunAsync(ContainerAction action, string host, string id, CancellationToken cancellationToken)
    {
        var verb = action.ToString().ToLowerInvariant();
        var operation = new ConsoleOperation($"container.{verb}", host, id, $"{verb} containers", $"{verb} {Short(id)}");
        await operations.RunAsync(operation, async client =>
        {
            if (action == ContainerAction.Remove)
            {
                await client.RemoveContainerAsync(id, force: true, cancellationToken);
            }
            else
            {
                await client.ContainerActionAsync(id, verb, "", cancellationToken);
            }

            return true;
        });
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
