using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ContainerConsole.Server.Apis;

/// <summary>Query string of the audit endpoints.</summary>
public sealed class AuditQueryParameters
{
    /// <summary>User name (case-insensitive).</summary>
    public string? User { get; init; }

    /// <summary>Start of the action, e.g. <c>POST</c>, <c>DELETE /api/v1/users</c>, <c>container.die</c>.</summary>
    public string? Action { get; init; }

    /// <summary>Part of the target (container id, user id).</summary>
    public string? Target { get; init; }

    /// <summary>Host name.</summary>
    public string? Host { get; init; }

    /// <summary>From this time (ISO 8601), inclusive.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Until this time (ISO 8601), exclusive.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>success, denied, failed or event.</summary>
    public string? Result { get; init; }

    /// <summary>api, agent or ui (the web console).</summary>
    public string? Source { get; init; }

    public AuditFilter ToFilter() => new(User, Action, Target, Host, From, To, Result, Source);
}

public static class AuditApi
{
    private const int MaxPageSize = 500;
    private static readonly string[] Results = ["success", "denied", "failed", "event"];

    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/audit").WithTags("Audit");

        api.MapGet("", QueryAsync)
            .RequireAuthorization(Policies.Read)
            .WithName("QueryAudit")
            .WithSummary("The audit log, newest first, filtered and paged")
            .ProducesValidationProblem();

        api.MapGet("/export", Export)
            .RequireAuthorization(Policies.Administer)
            .WithName("ExportAudit")
            .WithSummary("The filtered audit log as CSV or JSON, oldest first (admin)")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();
        return api;
    }

    /// <param name="query">Filters.</param>
    /// <param name="audit">The log.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    /// <param name="page">1-based page.</param>
    /// <param name="pageSize">1 to 500 entries, 50 by default.</param>
    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> QueryAsync(
        [AsParameters] AuditQueryParameters query, AuditLog audit, CancellationToken cancellationToken, int page = 1, int pageSize = 50)
    {
        var errors = Validate(query);
        if (page < 1)
        {
            errors["page"] = ["The page number starts at 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"The page size must be 1 to {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await audit.QueryAsync(query.ToFilter(), page, pageSize, cancellationToken));
    }

    /// <param name="query">Filters.</param>
    /// <param name="audit">The log.</param>
    /// <param name="format"><c>csv</c> (default) or <c>json</c>.</param>
    public static Results<PushStreamHttpResult, ValidationProblem> Export([AsParameters] AuditQueryParameters query, AuditLog audit, string format = "csv")
    {
        var errors = Validate(query);
        if (format is not ("csv" or "json"))
        {
            errors["format"] = [$"Unknown format '{format}'; use csv or json."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var filter = query.ToFilter();
        var fileName = $"audit-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}.{format}";
        return format == "csv"
            ? TypedResults.Stream(stream => WriteCsvAsync(stream, audit.ExportAsync(filter, CancellationToken.None)), "text/csv; charset=utf-8", fileName)
            : TypedResults.Stream(stream => WriteJsonAsync(stream, audit.ExportAsync(filter, CancellationToken.None)), "application/json", fileName);
    }

    private static Dictionary<string, string[]> Validate(AuditQueryParameters query)
    {
        var errors = new Dictionary<string, string[]>();
        if (query.Result is not null && !Results.Contains(query.Result))
        {
            errors["result"] = [$"Unknown result '{query.Result}'; use {string.Join(", ", Results)}."];
        }

        if (query.Source is not null && !AuditLog.Sources.Contains(query.Source))
        {
            errors["source"] = [$"Unknown source '{query.Source}'; use {string.Join(", ", AuditLog.Sources)}."];
        }

        if (query.From is { } from && query.To is { } to && from > to)
        {
            errors["from"] = ["'from' is after 'to'."];
        }

        return errors;
    }

    private static readonly string[] CsvColumns =
        ["id", "time", "source", "user", "authMethod", "remoteAddress", "action", "path", "target", "host", "statusCode", "result", "durationMs", "details"];

    private static async Task WriteCsvAsync(Stream stream, IAsyncEnumerable<AuditEntry> entries)
    {
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        await writer.WriteLineAsync(string.Join(',', CsvColumns));
        await foreach (var e in entries)
        {
            await writer.WriteLineAsync(string.Join(',',
                e.Id.ToString(CultureInfo.InvariantCulture),
                e.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                Csv(e.Source), Csv(e.User), Csv(e.AuthMethod), Csv(e.RemoteAddress), Csv(e.Action), Csv(e.Path),
                Csv(e.Target), Csv(e.Host),
                e.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "",
                Csv(e.Result),
                e.DurationMs?.ToString(CultureInfo.InvariantCulture) ?? "",
                Csv(e.Details)));
        }

        await writer.FlushAsync(); // the response body takes no synchronous writes
    }

    /// <summary>RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet does not run it as a formula.</summary>
    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static async Task WriteJsonAsync(Stream stream, IAsyncEnumerable<AuditEntry> entries)
    {
        // The writer fills a buffer that is copied out asynchronously: the response body takes no synchronous writes.
        var buffer = new ArrayBufferWriter<byte>();
        await using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartArray();
        await foreach (var entry in entries)
        {
            JsonSerializer.Serialize(writer, entry, AuditJsonContext.Default.AuditEntry);
            writer.Flush();
            if (buffer.WrittenCount > 64 * 1024)
            {
                await stream.WriteAsync(buffer.WrittenMemory);
                buffer.ResetWrittenCount();
            }
        }

        writer.WriteEndArray();
        writer.Flush();
        await stream.WriteAsync(buffer.WrittenMemory);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AuditEntry))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
