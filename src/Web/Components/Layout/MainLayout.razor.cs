namespace ContainerConsole.Web.Components.Layout;

/// <summary>The console's frame: top bar with the navigation, theme toggle and account, then the page.</summary>
public partial class MainLayout
{
    /// <summary>One entry of the main navigation.</summary>
    public sealed record NavItem(string Title, string Href);

    /// <summary>
    /// The pages in the order users look for them. Planned, in this order: Dashboard, Containers, Images, Volumes,
    /// Networks, Events, Hosts, Users &amp; tokens, Audit. A page's entry is added with the page itself, so no link leads
    /// nowhere.
    /// </summary>
    public static IReadOnlyList<NavItem> NavItems { get; } =
    [
        new("Dashboard", "dashboard"),
        new("Containers", "containers"),
        new("Images", "images"),
        new("Volumes", "volumes"),
        new("Networks", "networks"),
        new("Events", "events"),
        new("Hosts", "hosts"),
        new("Users & tokens", "users"),
        new("Audit", "audit"),
    ];
}
