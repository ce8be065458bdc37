using System.Runtime.CompilerServices;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;

namespace ContainerConsole.Server.Audit;

/// <summary>Filters of <c>GET /api/v1/audit</c> and its export. Every filter is optional; all given ones must match.</summary>
/// <param name="User">User name, exact (case-insensitive).</param>
/// <param name="Action">Start of the action: <c>POST</c>, <c>DELETE /api/v1/users</c>, <c>container.</c>, <c>container.die</c>.</param>
/// <param name="Target">Part of the target (a container id prefix, a user id).</param>
/// <param name="Host">Host name, exact.</param>
/// <param name="From">From this time on (inclusive).</param>
/// <param name="To">Before this time (exclusive).</param>
/// <param name="Result"><c>success</c>, <c>denied</c>, <c>failed</c> or <c>event</c>.</param>
/// <param name="Source"><c>api</c>, <c>agent</c> or <c>ui</c>.</param>
public sealed record AuditFilter(
    string? User = null,
    string? Action = null,
    string? Target = null,
    string? Host = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Result = null,
    string? Source = null);

/// <summary>One line of the audit log as the API shows it.</summary>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset Time,
    string Source,
    string? User,
    string? AuthMethod,
    string? RemoteAddress,
    string Action,
    string? Path,
    string? Target,
    string? Host,
    int? StatusCode,
    string Result,
    double? DurationMs,
    string? Details);

/// <summary>A page of the audit log, newest first.</summary>
/// <param name="Total">Entries matching the filters.</param>
/// <param name="Page">1-based page number.</param>
/// <param name="PageSize">Entries per page.</param>
/// <param name="Items">This page's entries.</param>
public sealed record AuditPage(int Total, int Page, int PageSize, IReadOnlyList<AuditEntry> Items);

/// <summary>Writes and reads the audit log.</summary>
public sealed class AuditLog(IDbContextFactory<ConsoleDbContext> contexts)
{
    public const string SourceApi = "api";
    public const string SourceAgent = "agent";

    /// <summary>What a signed-in user did through the web console (its services call agents and stores directly, not the REST API).</summary>
    public const string SourceUi = "ui";

    /// <summary>Every source, for validating filters.</summary>
    public static readonly IReadOnlyList<string> Sources = [SourceApi, SourceAgent, SourceUi];

    public async Task WriteAsync(AuditEntryEntity entry, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.AuditEntries.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Stores an agent event unless one with the same <see cref="AuditEntryEntity.EventKey"/> is stored.</summary>
    /// <returns>False for a duplicate (an event replayed after a reconnect).</returns>
    public async Task<bool> TryWriteEventAsync(AuditEntryEntity entry, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.AuditEntries.AnyAsync(a => a.EventKey == entry.EventKey, cancellationToken))
        {
            return false;
        }

        db.AuditEntries.Add(entry);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException) when (entry.EventKey is not null)
        {
            if (await IsStoredAsync(entry.EventKey, cancellationToken))
            {
                return false; // lost a race with another writer of the same event (unique index)
            }

            throw;
        }
    }

    /// <summary>The agent time of the newest event stored for a host: where its event stream resumes.</summary>
    public async Task<long?> LastEventTimeNanoAsync(string host, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.Where(a => a.Host == host && a.EventTimeNano != null)
            .MaxAsync(a => a.EventTimeNano, cancellationToken);
    }

    public async Task<AuditPage> QueryAsync(AuditFilter filter, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = Filter(db.AuditEntries.AsNoTracking(), filter);
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.OrderByDescending(a => a.Time).ThenByDescending(a => a.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return new AuditPage(total, page, pageSize, rows.ConvertAll(ToEntry));
    }

    /// <summary>Every matching entry, oldest first, read in batches so a large export does not sit in memory.</summary>
    public async IAsyncEnumerable<AuditEntry> ExportAsync(AuditFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int BatchSize = 1000;
        long after = 0;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var batch = await Filter(db.AuditEntries.AsNoTracking(), filter)
                .Where(a => a.Id > after).OrderBy(a => a.Id).Take(BatchSize)
                .ToListAsync(cancellationToken);
            foreach (var row in batch)
            {
                yield return ToEntry(row);
            }

            if (batch.Count < BatchSize)
            {
                yield break;
            }

            after = batch[^1].Id;
        }
    }

    private async Task<bool> IsStoredAsync(string eventKey, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AuditEntries.AnyAsync(a => a.EventKey == eventKey, cancellationToken);
    }

    private static IQueryable<AuditEntryEntity> Filter(IQueryable<AuditEntryEntity> query, AuditFilter filter)
    {
        if (!string.IsNullOrEmpty(filter.User))
        {
            var user = filter.User.ToUpperInvariant();
            query = query.Where(a => a.UserName != null && a.UserName.ToUpper() == user);
        }

        if (!string.IsNullOrEmpty(filter.Action))
        {
            query = query.Where(a => a.Action.StartsWith(filter.Action));
        }

        if (!string.IsNullOrEmpty(filter.Target))
        {
            query = query.Where(a => a.Target != null && a.Target.Contains(filter.Target));
        }

        if (!string.IsNullOrEmpty(filter.Host))
        {
            query = query.Where(a => a.Host == filter.Host);
        }

        if (filter.From is { } from)
        {
            query = query.Where(a => a.Time >= from);
        }

        if (filter.To is { } to)
        {
            query = query.Where(a => a.Time < to);
        }

        if (!string.IsNullOrEmpty(filter.Result))
        {
            query = query.Where(a => a.Result == filter.Result);
        }

        if (!string.IsNullOrEmpty(filter.Source))
        {
            query = query.Where(a => a.Source == filter.Source);
        }

        return query;
    }

    private static AuditEntry ToEntry(AuditEntryEntity a) =>
        new(a.Id, a.Time, a.Source, a.UserName, a.AuthMethod, a.RemoteAddress, a.Action, a.Path, a.Target, a.Host,
            a.StatusCode, a.Result, a.DurationMs, a.Details);
}
