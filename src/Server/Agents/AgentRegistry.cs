using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Infrastructure.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Agents;

/// <summary>A registered agent and its client.</summary>
/// <param name="Id">The host's id in the database.</param>
/// <param name="Uri">The address as registered (<c>tcp://</c> stays <c>tcp://</c> even when TLS makes it HTTPS).</param>
/// <param name="Endpoint">How the client reaches it.</param>
/// <param name="Client">One long-lived client per host (connections are pooled).</param>
public sealed record AgentHost(int Id, string Uri, AgentEndpoint Endpoint, DockerEngineClient Client)
{
    public string Name => Endpoint.Name;
}

/// <summary>What an admin registers: a name, an address and, for mutual TLS, three PEM files.</summary>
public sealed record HostRegistration(string Name, string Uri, AgentTls? Tls);

/// <summary>A registration was refused; the message says why.</summary>
public sealed class HostRegistrationException(string message) : Exception(message);

/// <summary>
/// The registered agents. The database is the source of truth; this keeps a snapshot with one client per
/// host, replaced whenever a host is registered, changed or removed through it.
/// </summary>
public sealed class AgentRegistry(
    IDbContextFactory<ConsoleDbContext> contexts,
    IOptions<ServerOptions> options,
    TimeProvider time,
    ILogger<AgentRegistry> logger) : IDisposable
{
    private readonly SemaphoreSlim _writer = new(1, 1);
    private volatile IReadOnlyList<AgentHost> _hosts = [];

    /// <summary>Raised after the set of hosts changed (the event recorder follows it).</summary>
    public event Action? Changed;

    public IReadOnlyList<AgentHost> Hosts => _hosts;

    public AgentHost? Find(string name) => _hosts.FirstOrDefault(h => h.Name == name);

    public AgentHost? Find(int id) => _hosts.FirstOrDefault(h => h.Id == id);

    /// <summary>Reads the hosts from the database and builds their clients.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await ReloadLockedAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <exception cref="HostRegistrationException">Bad address, unreadable TLS files or a name in use.</exception>
    public async Task<AgentHost> RegisterAsync(HostRegistration registration, CancellationToken cancellationToken)
    {
        var endpoint = Validate(registration);
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (await db.Hosts.AnyAsync(h => h.Name == endpoint.Name, cancellationToken))
            {
                throw new HostRegistrationException($"A host named '{endpoint.Name}' is registered already.");
            }

            var now = time.GetUtcNow();
            var entity = new HostEntity { Name = endpoint.Name, Uri = registration.Uri.Trim(), CreatedAt = now, UpdatedAt = now };
            SetTls(entity, registration.Tls);
            db.Hosts.Add(entity);
            await db.SaveChangesAsync(cancellationToken);
            await ReloadLockedAsync(cancellationToken);
            return Find(entity.Id)!;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <returns>The updated host, or null when no host has the id.</returns>
    /// <exception cref="HostRegistrationException">Bad address, unreadable TLS files or a name in use.</exception>
    public async Task<AgentHost?> UpdateAsync(int id, HostRegistration registration, CancellationToken cancellationToken)
    {
        var endpoint = Validate(registration);
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var entity = await db.Hosts.FirstOrDefaultAsync(h => h.Id == id, cancellationToken);
            if (entity is null)
            {
                return null;
            }

            if (await db.Hosts.AnyAsync(h => h.Name == endpoint.Name && h.Id != id, cancellationToken))
            {
                throw new HostRegistrationException($"A host named '{endpoint.Name}' is registered already.");
            }

            entity.Name = endpoint.Name;
            entity.Uri = registration.Uri.Trim();
            entity.UpdatedAt = time.GetUtcNow();
            SetTls(entity, registration.Tls);
            await db.SaveChangesAsync(cancellationToken);
            await ReloadLockedAsync(cancellationToken);
            return Find(id);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <returns>False when no host has the id.</returns>
    public async Task<bool> RemoveAsync(int id, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var removed = await db.Hosts.Where(h => h.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
            if (removed)
            {
                await ReloadLockedAsync(cancellationToken);
            }

            return removed;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Registers each <c>--agent</c> whose name is not registered yet. The default local socket (no
    /// <c>--agent</c> given) is registered only on the first start, so an admin may remove it for good.
    /// </summary>
    public async Task SeedAsync(bool firstStart, bool agentsConfigured, CancellationToken cancellationToken)
    {
        if (!firstStart && !agentsConfigured)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var known = await db.Hosts.Select(h => h.Name).ToListAsync(cancellationToken);
        var names = new HashSet<string>(known, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var added = false;
        foreach (var spec in options.Value.Agents)
        {
            var endpoint = AgentEndpoint.Parse(spec);
            if (names.Add(endpoint.Name))
            {
                db.Hosts.Add(new HostEntity { Name = endpoint.Name, Uri = endpoint.Uri, CreatedAt = now, UpdatedAt = now });
                added = true;
                logger.LogInformation("Registered host {Name} at {Uri}", endpoint.Name, endpoint.Uri);
            }
        }

        if (added)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Client.Dispose();
        }

        _writer.Dispose();
    }

    private async Task ReloadLockedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Hosts.AsNoTracking().OrderBy(h => h.Id).ToListAsync(cancellationToken);
        var previous = _hosts;
        var next = new List<AgentHost>(rows.Count);
        foreach (var row in rows)
        {
            // Keep the client (and its pooled connections) of a host whose address did not change.
            var endpoint = ToEndpoint(row);
            var kept = previous.FirstOrDefault(h => h.Id == row.Id && h.Endpoint == endpoint);
            if (kept is not null)
            {
                next.Add(kept with { Uri = row.Uri });
                continue;
            }

            try
            {
                next.Add(new AgentHost(row.Id, row.Uri, endpoint, DockerEngineClient.Create(endpoint, options.Value.AgentTimeout)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                // A certificate went missing since registration: keep the host listed; its calls fail with the reason.
                logger.LogError(ex, "Cannot load the TLS files of host {Name}", row.Name);
                next.Add(new AgentHost(row.Id, row.Uri, endpoint, DockerEngineClient.Create(endpoint with { Tls = null }, options.Value.AgentTimeout)));
            }
        }

        _hosts = next;
        foreach (var old in previous.Where(p => !next.Any(n => ReferenceEquals(n.Client, p.Client))))
        {
            old.Client.Dispose();
        }

        Changed?.Invoke();
    }

    private static AgentEndpoint ToEndpoint(HostEntity row)
    {
        var endpoint = AgentEndpoint.Parse(row.Uri) with { Name = row.Name };
        return row is { TlsCaCertPath: { } ca, TlsCertPath: { } cert, TlsKeyPath: { } key }
            ? endpoint.WithTls(new AgentTls(ca, cert, key))
            : endpoint;
    }

    private static void SetTls(HostEntity entity, AgentTls? tls)
    {
        entity.TlsCaCertPath = tls?.CaCertPath;
        entity.TlsCertPath = tls?.CertPath;
        entity.TlsKeyPath = tls?.KeyPath;
    }

    private static AgentEndpoint Validate(HostRegistration registration)
    {
        if (!AgentEndpoint.TryParse(registration.Uri ?? "", out var endpoint, out var error))
        {
            throw new HostRegistrationException($"uri: {error}");
        }

        if (endpoint.Name != endpoint.Uri)
        {
            throw new HostRegistrationException("uri: give the name in 'name', not as NAME=URI.");
        }

        endpoint = endpoint with { Name = registration.Name.Trim() };
        if (registration.Tls is { } tls)
        {
            if (endpoint.Transport == AgentTransport.UnixSocket)
            {
                throw new HostRegistrationException("tls: a unix socket agent takes no TLS settings.");
            }

            foreach (var (field, path) in new[] { ("caCert", tls.CaCertPath), ("cert", tls.CertPath), ("key", tls.KeyPath) })
            {
                if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path) || !File.Exists(path))
                {
                    throw new HostRegistrationException($"tls.{field}: '{path}' is not an absolute path to a readable file.");
                }
            }

            try
            {
                using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(tls.CertPath, tls.KeyPath);
            }
            catch (System.Security.Cryptography.CryptographicException ex)
            {
                throw new HostRegistrationException($"tls: cannot load the client certificate and key: {ex.Message}");
            }
        }

        return endpoint;
    }
}
