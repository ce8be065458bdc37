using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>Containers of every configured host, running or not.</summary>
public partial class Containers
{
    [Inject]
    private IContainersService ContainersService { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    private IReadOnlyList<ContainerSummary> Items { get; set; } = [];

    private IReadOnlyList<HostError> Unreachable { get; set; } = [];

    private string Filter { get; set; } = "";

    private IEnumerable<ContainerSummary> Visible => string.IsNullOrWhiteSpace(Filter)
        ? Items
        : Items.Where(Matches);

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        var list = await ContainersService.GetContainersAsync(host: null, cancellationToken);
        Items = list.Containers
            .OrderBy(c => c.Host, StringComparer.Ordinal)
            .ThenBy(c => DisplayName(c), StringComparer.Ordinal)
            .ToList();
        Unreachable = list.UnreachableHosts;
    }

    private bool Matches(ContainerSummary container)
    {
        var term = Filter.Trim();
        return DisplayName(container).Contains(term, StringComparison.OrdinalIgnoreCase)
            || container.Image.Contains(term, StringComparison.OrdinalIgnoreCase)
            || container.Host.Contains(term, StringComparison.OrdinalIgnoreCase)
            || container.State.Contains(term, StringComparison.OrdinalIgnoreCase)
            || container.Id.StartsWith(term, StringComparison.OrdinalIgnoreCase);
    }

    private static string DisplayName(ContainerSummary container) =>
        container.Names.Count > 0 ? container.Names[0].TrimStart('/') : ShortId(container.Id);

    private static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    private static DateTimeOffset CreatedAt(ContainerSummary container) =>
        DateTimeOffset.FromUnixTimeSeconds(container.Created);

    private string Age(ContainerSummary container)
    {
        var age = Time.GetUtcNow() - CreatedAt(container);
        return age switch
        {
            { TotalSeconds: < 60 } => "just now",
            { TotalMinutes: < 60 } => $"{(int)age.TotalMinutes} min ago",
            { TotalHours: < 48 } => $"{(int)age.TotalHours} h ago",
            _ => $"{(int)age.TotalDays} days ago",
        };
    }

    private static string StateTone(string state) => state switch
    {
        "running" => "ok",
        "paused" or "restarting" or "created" or "removing" => "warn",
        "dead" => "error",
        _ => "neutral",
    };
}
