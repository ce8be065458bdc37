namespace ContainerConsole.Web.Services;

/// <summary>Filters of the audit page; every one is optional, all given ones must match.</summary>
/// <param name="User">User name, exact.</param>
/// <param name="Action">Start of the action (<c>container.</c>, <c>POST /api/v1/users</c>).</param>
/// <param name="Target">Part of the target.</param>
/// <param name="Result">success, denied, failed or event.</param>
/// <param name="Source">api, agent or ui.</param>
/// <param name="From">From this time on.</param>
/// <param name="To">Before this time.</param>
public sealed record AuditQuery(
    string? User = null,
    string? Action = null,
    string? Target = null,
    string? Result = null,
    string? Source = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null)
{
    public static IReadOnlyList<string> Results { get; } = ["success", "denied", "failed", "event"];

    public static IReadOnlyList<string> Sources { get; } = ["api", "agent", "ui"];
}

/// <summary>One audit entry.</summary>
public sealed record AuditRecord(
    long Id,
    DateTimeOffset Time,
    string Source,
    string? User,
    string? RemoteAddress,
    string Action,
    string? Target,
    string? Host,
    int? StatusCode,
    string Result,
    double? DurationMs,
    string? Details);

/// <summary>A page of the audit log, newest first.</summary>
public sealed record AuditRecordPage(int Total, int Page, int PageSize, IReadOnlyList<AuditRecord> Items)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>The audit log. Implemented by the server on the REST audit API.</summary>
public interface IAuditTrail
{
    /// <exception cref="ConsoleOperationException">A filter is invalid; the message says which.</exception>
    Task<AuditRecordPage> QueryAsync(AuditQuery query, int page, int pageSize, CancellationToken cancellationToken);

    /// <summary>The address of the REST export of these entries (<c>csv</c> or <c>json</c>), which the browser's cookie opens (admin).</summary>
    string ExportUrl(AuditQuery query, string format);
}
