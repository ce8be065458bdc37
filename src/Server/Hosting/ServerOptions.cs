using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Hosting;

/// <summary>
/// Settings of the server, bound from the <c>ContainerConsole</c> configuration section
/// (<c>--data-dir</c> and <c>--agent</c> are shorthands for <c>ContainerConsole:DataDir</c> and
/// <c>ContainerConsole:Agents:N</c>; see <see cref="CommandLine"/>).
/// </summary>
public sealed class ServerOptions
{
    public const string SectionName = "ContainerConsole";

    /// <summary>Where the server listens unless <c>--urls</c> (or ASP.NET Core's own settings) says otherwise.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The local agent's socket.</summary>
    public const string DefaultAgent = "unix:///run/containerconsole/agent.sock";

    /// <summary>Environment variable (or configuration key) holding the first admin's password.</summary>
    public const string AdminPasswordVariable = "CONTAINERCONSOLE_ADMIN_PASSWORD";

    /// <summary>Directory of the server's own state (database, data-protection keys). Defaults by user, see <see cref="DefaultDataDir"/>.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>Agent addresses: <c>unix:///path</c>, <c>tcp://host:port</c> or <c>http(s)://host:port</c>, each optionally prefixed with <c>name=</c>.</summary>
    public List<string> Agents { get; set; } = [];

    /// <summary>
    /// Reverse proxies (addresses, or networks as <c>10.0.0.0/8</c>) whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> are believed; the headers of every other peer are ignored. Empty: none.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>How long a token from <c>POST /api/v1/auth/login</c> is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How long the browser session cookie lives without use.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long one call to an agent may take before the host counts as unreachable.</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed sign-ins within <see cref="LockoutWindow"/> that lock a user.</summary>
    public int LockoutMaxFailures { get; set; } = 5;

    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Sign-in attempts one client address may make per minute, whatever the user names (429 beyond).</summary>
    public int LoginAttemptsPerMinute { get; set; } = 30;

    /// <summary>Name of the connection string (<c>ConnectionStrings:Console</c>, <c>--connection-string</c>).</summary>
    public const string ConnectionStringName = "Console";

    /// <summary>
    /// The database of users, tokens, hosts, the audit log and metric history: <c>sqlite</c> (default, a file in
    /// <see cref="DataDir"/>) or <c>postgres</c> (needs <see cref="ConnectionString"/>).
    /// </summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>
    /// ADO.NET connection string of the database, from <c>ConnectionStrings:Console</c>. Required for PostgreSQL;
    /// for SQLite it replaces the default file <see cref="DatabaseFile"/>.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The provider <see cref="Database"/> names (valid once the options passed validation).</summary>
    public DatabaseProvider DatabaseProvider =>
        TryParseDatabase(Database, out var provider) ? provider : throw new InvalidOperationException($"Unknown database '{Database}'.");

    /// <summary>Full path of the default SQLite database.</summary>
    public string DatabaseFile => Path.Combine(DataDir, "containerconsole.db");

    /// <summary>Largest request body the API accepts.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>First wait before reconnecting to an agent's event stream; doubles up to 30 s while it fails.</summary>
    public TimeSpan EventReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    public static bool TryParseDatabase(string? name, out DatabaseProvider provider)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "" or null or "sqlite":
                provider = DatabaseProvider.Sqlite;
                return true;
            case "postgres" or "postgresql":
                provider = DatabaseProvider.Postgres;
                return true;
            default:
                provider = default;
                return false;
        }
    }

    /// <summary>
    /// <c>/var/lib/containerconsole-server</c> for root, else <c>$XDG_DATA_HOME/containerconsole</c>
    /// (<c>~/.local/share/containerconsole</c>).
    /// </summary>
    public static string DefaultDataDir() => Environment.IsPrivilegedProcess
        ? "/var/lib/containerconsole-server"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "containerconsole");
}

/// <summary>The database engines the server runs on; each has its own migration set.</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Fills in the defaults that depend on the machine and checks the agent addresses.</summary>
internal sealed class ServerOptionsSetup : IPostConfigureOptions<ServerOptions>, IValidateOptions<ServerOptions>
{
    public void PostConfigure(string? name, ServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDir))
        {
            options.DataDir = ServerOptions.DefaultDataDir();
        }

        options.DataDir = Path.GetFullPath(ExpandHome(options.DataDir));
        options.Agents.RemoveAll(string.IsNullOrWhiteSpace);
        options.TrustedProxies.RemoveAll(string.IsNullOrWhiteSpace);
        if (options.Agents.Count == 0)
        {
            options.Agents.Add(ServerOptions.DefaultAgent);
        }
    }

    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var failures = new List<string>();
        foreach (var agent in options.Agents)
        {
            if (!Agents.AgentEndpoint.TryParse(agent, out _, out var error))
            {
                failures.Add($"--agent {agent}: {error}");
            }
        }

        if (options.AgentTimeout <= TimeSpan.Zero)
        {
            failures.Add("AgentTimeout must be positive.");
        }

        if (options.TokenLifetime <= TimeSpan.Zero || options.SessionLifetime <= TimeSpan.Zero)
        {
            failures.Add("TokenLifetime and SessionLifetime must be positive.");
        }

        if (options.LockoutMaxFailures < 1)
        {
            failures.Add("LockoutMaxFailures must be at least 1.");
        }

        if (options.LoginAttemptsPerMinute < 1)
        {
            failures.Add("LoginAttemptsPerMinute must be at least 1.");
        }

        failures.AddRange(Infrastructure.DatabaseSetup.Validate(options));
        failures.AddRange(ForwardedHeadersSetup.Validate(options.TrustedProxies));

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;
}
