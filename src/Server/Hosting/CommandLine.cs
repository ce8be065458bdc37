namespace ContainerConsole.Server.Hosting;

/// <summary>
/// ccserver's flags. <c>--urls</c> is ASP.NET Core's own; <c>--data-dir DIR</c>, the repeatable
/// <c>--agent URI</c> and <c>--trusted-proxy IP</c>, <c>--database</c> and <c>--connection-string</c> are rewritten into configuration keys so that they mix with every other
/// configuration source (<c>--ContainerConsole:Agents:0=...</c>, <c>ContainerConsole__DataDir</c>, appsettings).
/// </summary>
public static class CommandLine
{
    public const string Usage = """
        Usage: ccserver [options]

        Options:
          --urls URLS        Addresses to listen on, separated by ';' (default http://127.0.0.1:5080)
          --data-dir DIR     Directory of the server's state (default /var/lib/containerconsole-server
                             for root, ~/.local/share/containerconsole otherwise)
          --agent URI        An agent to manage: unix:///path.sock, tcp://host:port or http://host:port,
                             optionally as NAME=URI. Repeatable (default unix:///run/containerconsole/agent.sock)
          --database sqlite|postgres
                             The database of users, tokens, hosts, audit log and metrics (default sqlite:
                             DATA_DIR/containerconsole.db). Migrated to the current schema on every start
          --connection-string CS
                             The database's ADO.NET connection string; needed for postgres, e.g.
                             'Host=db.example;Database=containerconsole;Username=cc;Password=...'. Better given
                             as the environment variable ConnectionStrings__Console (kept out of ps)
          --trusted-proxy IP A reverse proxy (address or network, e.g. 10.0.0.5 or 10.0.0.0/24) whose
                             X-Forwarded-For and X-Forwarded-Proto give the client's address (audit log) and
                             scheme. Repeatable; those headers from any other peer are ignored (default: no proxy)
          -h, --help         Show this help

        Any ASP.NET Core setting may also be given as --Key=Value (e.g. --ContainerConsole:Agents:0=URI) or
        in the environment (ContainerConsole__Database=postgres, ConnectionStrings__Console=...).
        On first start the user 'admin' is created with the password in CONTAINERCONSOLE_ADMIN_PASSWORD,
        or a random password that is printed once.
        """;

    public static bool IsHelp(IReadOnlyList<string> args) =>
        args.Any(a => a is "-h" or "--help" or "-?");

    /// <summary>Like <see cref="Normalize"/>, with the error as text instead of an exception.</summary>
    public static bool TryNormalize(IReadOnlyList<string> args, out string[] settings, out string? error)
    {
        try
        {
            settings = Normalize(args);
            error = null;
            return true;
        }
        catch (ArgumentException ex)
        {
            settings = [];
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Rewrites ccserver's own flags into ASP.NET Core command-line configuration.</summary>
    /// <exception cref="ArgumentException">A flag lacks its value.</exception>
    public static string[] Normalize(IReadOnlyList<string> args)
    {
        var result = new List<string>(args.Count);
        var agentIndex = 0;
        var proxyIndex = 0;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (TryTake(args, ref i, "--agent", out var agent))
            {
                result.Add($"--{ServerOptions.SectionName}:{nameof(ServerOptions.Agents)}:{agentIndex++}={agent}");
            }
            else if (TryTake(args, ref i, "--data-dir", out var dataDir))
            {
                result.Add($"--{ServerOptions.SectionName}:{nameof(ServerOptions.DataDir)}={dataDir}");
            }
            else if (TryTake(args, ref i, "--trusted-proxy", out var proxy))
            {
                result.Add($"--{ServerOptions.SectionName}:{nameof(ServerOptions.TrustedProxies)}:{proxyIndex++}={proxy}");
            }
            else if (TryTake(args, ref i, "--database", out var database))
            {
                result.Add($"--{ServerOptions.SectionName}:{nameof(ServerOptions.Database)}={database}");
            }
            else if (TryTake(args, ref i, "--connection-string", out var connectionString))
            {
                result.Add($"--ConnectionStrings:{ServerOptions.ConnectionStringName}={connectionString}");
            }
            else
            {
                result.Add(arg);
            }
        }

        return [.. result];
    }

    private static bool TryTake(IReadOnlyList<string> args, ref int index, string flag, out string value)
    {
        var arg = args[index];
        if (arg.StartsWith(flag + "=", StringComparison.Ordinal))
        {
            value = arg[(flag.Length + 1)..];
            return true;
        }

        if (arg == flag)
        {
            if (index + 1 >= args.Count || args[index + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"{flag} needs a value.");
            }

            value = args[++index];
            return true;
        }

        value = "";
        return false;
    }
}
