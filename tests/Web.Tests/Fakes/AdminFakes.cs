using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Tests.Fakes;

public static class AdminRights
{
    public static readonly ConsoleRights Admin = new("ada", "admin", CanOperate: true, CanAdminister: true);
}

/// <summary>The dashboard figures the test gives.</summary>
public sealed class FakeDashboard(DashboardSnapshot snapshot) : IDashboardService
{
    public Task<DashboardSnapshot> GetAsync(TimeSpan history, CancellationToken cancellationToken) => Task.FromResult(snapshot);
}

/// <summary>Events the test pushes; <see cref="Fail"/> ends the feed with a reason.</summary>
public sealed class FakeEventFeed : IEventFeed
{
    private readonly Channel<ConsoleEvent> _events = Channel.CreateUnbounded<ConsoleEvent>();

    public void Push(ConsoleEvent e) => _events.Writer.TryWrite(e);

    public void Fail(string reason) => _events.Writer.TryComplete(new ConsoleOperationException(reason));

    public async IAsyncEnumerable<ConsoleEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }

    public static ConsoleEvent Container(string action, string name, string host = "local", string type = "container") =>
        new(host, type, action, name + "0123456789abcdef", name, new Dictionary<string, string> { ["name"] = name }, DateTimeOffset.UnixEpoch);
}

/// <summary>Users in memory; refuses a second user of the same name as the store does.</summary>
public sealed class FakeUserAdmin : IUserAdmin
{
    public List<UserAccount> Users { get; } = [new("1", "admin", "admin", DateTimeOffset.UnixEpoch)];

    public List<string> Calls { get; } = [];

    public Task<IReadOnlyList<UserAccount>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<UserAccount>>([.. Users]);

    public Task<UserAccount> CreateAsync(string userName, string password, string role, CancellationToken cancellationToken)
    {
        if (Users.Any(u => u.UserName == userName))
        {
            throw new ConsoleOperationException($"A user named '{userName}' exists.");
        }

        var user = new UserAccount((Users.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), userName, role, DateTimeOffset.UnixEpoch);
        Users.Add(user);
        Calls.Add($"create {userName} {role}");
        return Task.FromResult(user);
    }

    public Task SetRoleAsync(string id, string role, CancellationToken cancellationToken)
    {
        Calls.Add($"role {id} {role}");
        var i = Users.FindIndex(u => u.Id == id);
        Users[i] = Users[i] with { Role = role };
        return Task.CompletedTask;
    }

    /// <summary>Refuses to disable the last enabled admin, as the store does.</summary>
    public Task SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken)
    {
        Calls.Add($"{(disabled ? "disable" : "enable")} {id}");
        var i = Users.FindIndex(u => u.Id == id);
        if (disabled && Users[i].Role == "admin" && Users.Count(u => u.Role == "admin" && !u.Disabled) <= 1)
        {
            throw new ConsoleOperationException("This is the last admin; make another user admin first.");
        }

        Users[i] = Users[i] with { Disabled = disabled };
        return Task.CompletedTask;
    }

    public Task ResetPasswordAsync(string id, string password, CancellationToken cancellationToken)
    {
        Calls.Add($"password {id}");
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        Calls.Add($"delete {id}");
        Users.RemoveAll(u => u.Id == id);
        return Task.CompletedTask;
    }
}

/// <summary>Tokens in memory; the secret is only in what <see cref="CreateAsync"/> returns.</summary>
public sealed class FakeTokens : IApiTokenService
{
    private readonly List<ApiTokenSummary> _tokens = [];

    public Task<IReadOnlyList<ApiTokenSummary>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<ApiTokenSummary>>([.. _tokens]);

    public Task<CreatedApiToken> CreateAsync(string name, int expiresInDays, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ConsoleOperationException("A name of 1 to 100 characters is required.");
        }

        var id = "t" + _tokens.Count;
        var expires = DateTimeOffset.UtcNow.AddDays(expiresInDays);
        _tokens.Add(new ApiTokenSummary(id, name, "personal", DateTimeOffset.UtcNow, expires, null, null));
        return Task.FromResult(new CreatedApiToken(id, name, "cc_secret_" + id, expires));
    }

    public Task RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var i = _tokens.FindIndex(t => t.Id == id);
        _tokens[i] = _tokens[i] with { RevokedAt = DateTimeOffset.UtcNow };
        return Task.CompletedTask;
    }
}

public sealed class FakeHosts(params HostStatus[] hosts) : IHostsService
{
    /// <summary>Healthy hosts with these names.</summary>
    public static FakeHosts Named(params string[] names) =>
        new([.. names.Select((n, i) => new HostStatus(i + 1, n, "unix:///x", false, HostState.Healthy, null, null, DateTimeOffset.UnixEpoch))]);

    public Task<IReadOnlyList<HostStatus>> GetHostsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<HostStatus>>(hosts);
}

public sealed class FakeHostAdmin : IHostAdmin
{
    public List<HostRegistrationRequest> Registered { get; } = [];

    public Task<HostStatus> RegisterAsync(HostRegistrationRequest request, CancellationToken cancellationToken)
    {
        if (!request.Uri.StartsWith("unix://", StringComparison.Ordinal) && !request.Uri.StartsWith("tcp://", StringComparison.Ordinal))
        {
            throw new ConsoleOperationException($"'{request.Uri}' is not a unix:// or tcp:// address.");
        }

        Registered.Add(request);
        return Task.FromResult(new HostStatus(7, request.Name, request.Uri, request.MutualTls, HostState.Unreachable, null, "connection refused", DateTimeOffset.UnixEpoch));
    }

    public List<(int Id, HostRegistrationRequest Request)> Updated { get; } = [];

    public Task<HostStatus> UpdateAsync(int id, HostRegistrationRequest request, CancellationToken cancellationToken)
    {
        Updated.Add((id, request));
        return Task.FromResult(new HostStatus(id, request.Name, request.Uri, request.MutualTls, HostState.Healthy, null, null, DateTimeOffset.UnixEpoch));
    }

    public Task RemoveAsync(int id, string name, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Remembers the queries asked.</summary>
public sealed class FakeAuditTrail(params AuditRecord[] records) : IAuditTrail
{
    public List<(AuditQuery Query, int Page, int PageSize)> Queries { get; } = [];

    public Task<AuditRecordPage> QueryAsync(AuditQuery query, int page, int pageSize, CancellationToken cancellationToken)
    {
        Queries.Add((query, page, pageSize));
        var matching = records.Where(r => query.Source is null || r.Source == query.Source).ToList();
        return Task.FromResult(new AuditRecordPage(matching.Count, page, pageSize, [.. matching.Skip((page - 1) * pageSize).Take(pageSize)]));
    }

    public string ExportUrl(AuditQuery query, string format) => $"api/v1/audit/export?format={format}&source={query.Source}";
}
