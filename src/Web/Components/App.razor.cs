using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;

namespace ContainerConsole.Web.Components;

/// <summary>
/// The document root. Pages are interactive (server) unless they opt out with
/// <c>[ExcludeFromInteractiveRouting]</c>, as the sign-in page does: it must set the session cookie,
/// which only a plain HTTP request can.
/// </summary>
public partial class App
{
    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    private IComponentRenderMode? PageRenderMode =>
        HttpContext.AcceptsInteractiveRouting() ? RenderMode.InteractiveServer : null;
}
