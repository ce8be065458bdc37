using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web;

public static class WebServiceCollectionExtensions
{
    /// <summary>
    /// Registers the console's Razor components with interactive server rendering. The host must also
    /// register implementations of the contracts in <c>ContainerConsole.Web.Services</c>.
    /// </summary>
    public static IServiceCollection AddContainerConsoleWeb(this IServiceCollection services)
    {
        services.AddRazorComponents()
            .AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        return services;
    }
}
