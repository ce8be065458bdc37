using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Audit;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Infrastructure;
using ContainerConsole.Server.Hosts;
using ContainerConsole.Server.Users;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Hosting;

internal static class ServerSetup
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Everything but the web UI: listening defaults, options, users, agents, authentication, ProblemDetails,
    /// JSON settings, the OpenAPI document and the services the web pages use.
    /// </summary>
    public static WebApplicationBuilder AddContainerConsoleServer(this WebApplicationBuilder builder)
    {
        // Serve the web UI's static files from the build output too, not only from a publish folder
        // (Development does this by itself; elsewhere it is a no-op when there is no build manifest).
        if (!builder.Environment.IsDevelopment())
        {
            builder.WebHost.UseStaticWebAssets();
        }

        if (!HasListenSettings(builder.Configuration))
        {
            builder.WebHost.UseUrls(ServerOptions.DefaultUrls);
        }

        // Every SQL statement at Information would drown the log; EF's warnings and errors still show.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);
        // ASP.NET Core's per-request lines (12 per API call at Information) cost more than the request itself under load.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Its "Request starting" line holds the whole query string, and a hub URL's may hold ?access_token=: never log it,
        // even when Microsoft.AspNetCore is turned up in the configuration (this rule is more specific and comes last).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddContainerConsoleServices(builder.Configuration);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Malformed JSON and unparsable parameters reach BadRequestExceptionHandler, which names the problem.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        builder.Services.AddContainerConsoleOpenApi();
        return builder;
    }

    /// <summary>Checks the settings before anything uses them; prints what is wrong.</summary>
    public static bool ValidateServerOptions(this WebApplication app, TextWriter errors)
    {
        try
        {
            _ = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
            return true;
        }
        catch (OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                errors.WriteLine($"ccserver: {failure}");
            }

            return false;
        }
    }

    /// <summary>
    /// Creates or migrates the database before the host starts; prints why when it cannot be reached.
    /// </summary>
    public static async Task<bool> MigrateDatabaseAsync(this WebApplication app, TextWriter errors)
    {
        try
        {
            await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
            return true;
        }
        catch (DatabaseUnavailableException ex)
        {
            errors.WriteLine($"ccserver: {ex.Message}");
            return false;
        }
    }

    /// <summary>Options, database, users, agents, audit, authentication and the services the web pages use.</summary>
    public static IServiceCollection AddContainerConsoleServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServerOptions>()
            .Bind(configuration.GetSection(ServerOptions.SectionName))
            .Configure(options =>
            {
                // Where ASP.NET Core keeps connection strings (ConnectionStrings__Console in the environment).
                var connectionString = configuration.GetConnectionString(ServerOptions.ConnectionStringName);
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<ServerOptions>, ServerOptionsSetup>();
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsSetup>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IServerConsole, StandardOutputConsole>();

        // Cookies and antiforgery tokens stay valid across restarts: keys live in DATA_DIR/keys (0700).
        services.AddDataProtection().SetApplicationName("ContainerConsole");
        services.AddOptions<KeyManagementOptions>()
            .Configure<IOptions<ServerOptions>, ILoggerFactory>((keys, server, loggerFactory) =>
            {
                var directory = Path.Combine(server.Value.DataDir, "keys");
                EnsurePrivateDirectory(server.Value.DataDir);
                EnsurePrivateDirectory(directory);
                keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(directory), loggerFactory);
            });

        // Hosted services start in this order (the schema is migrated before, see MigrateDatabaseAsync): hosts and the first admin, then the event followers.
        services.AddConsoleDatabase();
        services.AddSingleton<IUserStore, EfUserStore>();
        services.AddSingleton<AgentRegistry>();
        services.AddHostedService<HostBootstrapper>();
        services.AddSingleton<AdminBootstrapper>();
        services.AddHostedService(sp => sp.GetRequiredService<AdminBootstrapper>());
        services.AddHostedService<StartupBanner>();

        services.AddSingleton<HostsService>();
        services.AddSingleton<IHostsService>(sp => sp.GetRequiredService<HostsService>());
        services.AddSingleton<ContainersService>();
        services.AddSingleton<IContainersService>(sp => sp.GetRequiredService<ContainersService>());
        services.AddSingleton<Containers.DesiredContainers>();

        services.AddSingleton<AuditLog>();
        services.AddSingleton<HubAudit>();
        services.AddHostedService<AgentEventRecorder>();

        services.AddContainerConsoleAuthentication();
        services.AddLoginRateLimit();
        services.AddTrustedProxies();
        return services;
    }

    /// <summary>True when <c>--urls</c> or another ASP.NET Core setting says where to listen.</summary>
    private static bool HasListenSettings(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["urls"])
        || !string.IsNullOrEmpty(configuration["http_ports"])
        || !string.IsNullOrEmpty(configuration["https_ports"])
        || configuration.GetSection("Kestrel:Endpoints").Exists();

    private static void EnsurePrivateDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }
}
