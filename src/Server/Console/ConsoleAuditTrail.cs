using System.Globalization;
using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>The audit page's reads, through the REST audit API's handler (same filters and validation); the export is the REST export itself.</summary>
public sealed class ConsoleAuditTrail(ConsoleGate gate, AuditLog audit) : IAuditTrail
{
    public async Task<AuditRecordPage> QueryAsync(AuditQuery query, int page, int pageSize, CancellationToken cancellationToken)
    {
        await gate.RequireAsync(Policies.Read, "read the audit log");
        var parameters = new AuditQueryParameters
        {
            User = Blank(query.User), Action = Blank(query.Action), Target = Blank(query.Target), Result = Blank(query.Result),
            Source = Blank(query.Source), From = query.From, To = query.To,
        };
        var result = await AuditApi.QueryAsync(parameters, audit, cancellationToken, page, pageSize);
        var found = ApiOutcome.Value<AuditPage>(result.Result);
        return new AuditRecordPage(found.Total, found.Page, found.PageSize, [.. found.Items.Select(e =>
            new AuditRecord(e.Id, e.Time, e.Source, e.User, e.RemoteAddress, e.Action, e.Target, e.Host, e.StatusCode, e.Result, e.DurationMs, e.Details))]);
    }

    public string ExportUrl(AuditQuery query, string format)
    {
        var parts = new List<string> { "format=" + Uri.EscapeDataString(format) };
        void Add(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                parts.Add(name + "=" + Uri.EscapeDataString(value.Trim()));
            }
        }

        Add("user", query.User);
        Add("action", query.Action);
        Add("target", query.Target);
        Add("result", query.Result);
        Add("source", query.Source);
        Add("from", query.From?.ToString("O", CultureInfo.InvariantCulture));
        Add("to", query.To?.ToString("O", CultureInfo.InvariantCulture));
        return "api/v1/audit/export?" + string.Join("&", parts);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
