using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// The audit log, newest first: filters (user, action, target, result, source, time range), paging, and for an admin
/// the REST export of the same filter as CSV or JSON (the browser's session cookie opens it).
/// </summary>
public partial class Audit
{
    internal static readonly int[] PageSizes = [25, 50, 100, 200];

    [Inject]
    private IAuditTrail Trail { get; set; } = default!;

    [Inject]
    private IConsoleAccess Access { get; set; } = default!;

    internal AuditFilterForm Filter { get; private set; } = new();

    internal int PageSize { get; set; } = 50;

    internal AuditRecordPage? Found { get; private set; }

    internal ConsoleRights Rights { get; private set; } = ConsoleRights.None;

    internal string? Error { get; private set; }

    private bool Busy { get; set; }

    private DateTimeOffset? LastRefresh { get; set; }

    /// <summary>The filter the shown page was read with (the export uses it, not fields being edited).</summary>
    private AuditQuery Applied { get; set; } = new();

    protected override async Task OnInitializedAsync()
    {
        Rights = await Access.GetRightsAsync(CancellationToken.None);
        await SearchAsync();
    }

    internal Task SearchAsync()
    {
        Applied = Filter.ToQuery();
        return GoToAsync(1);
    }

    private Task ResetAsync()
    {
        Filter = new AuditFilterForm();
        return SearchAsync();
    }

    internal async Task GoToAsync(int page)
    {
        Busy = true;
        Error = null;
        try
        {
            Found = await Trail.QueryAsync(Applied, page, PageSize, CancellationToken.None);
        }
        catch (Exception ex) when (ex is ConsoleAccessDeniedException or ConsoleOperationException)
        {
            Error = ex.Message;
        }
        finally
        {
            Busy = false;
            LastRefresh = DateTimeOffset.Now;
        }
    }

    internal string ExportUrl(string format) => Trail.ExportUrl(Applied, format);

    private static string SourceText(string source) => source switch
    {
        "ui" => "ui (web console)",
        "api" => "api (REST)",
        "agent" => "agent (engine events)",
        _ => source,
    };

    private static string ResultText(AuditRecord entry) => entry.StatusCode is { } code ? $"{entry.Result} {code}" : entry.Result;

    private static string ResultTone(string result) => result switch
    {
        "success" => "ok",
        "denied" => "warn",
        "failed" => "error",
        _ => "neutral",
    };

    /// <summary>The filter fields as typed; times are read as UTC.</summary>
    internal sealed class AuditFilterForm
    {
        public string? User { get; set; }

        public string? Action { get; set; }

        public string? Target { get; set; }

        public string? Result { get; set; }

        public string? Source { get; set; }

        public DateTime? From { get; set; }

        public DateTime? To { get; set; }

        public AuditQuery ToQuery() => new(
            Blank(User), Blank(Action), Blank(Target), Blank(Result), Blank(Source),
            From is { } from ? new DateTimeOffset(DateTime.SpecifyKind(from, DateTimeKind.Utc)) : null,
            To is { } to ? new DateTimeOffset(DateTime.SpecifyKind(to, DateTimeKind.Utc)) : null);

        private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
