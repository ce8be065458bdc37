using System.Security.Cryptography;
using ContainerConsole.Server.Hosting;

namespace ContainerConsole.Server.Users;

/// <summary>How the first start went for the admin account.</summary>
public enum AdminBootstrapOutcome
{
    /// <summary>Not run yet.</summary>
    Pending,

    /// <summary>Users existed already; nothing was created.</summary>
    UsersExisted,

    /// <summary><c>admin</c> was created with the password from <c>CONTAINERCONSOLE_ADMIN_PASSWORD</c>.</summary>
    CreatedFromEnvironment,

    /// <summary><c>admin</c> was created with a random password, printed once.</summary>
    CreatedWithRandomPassword,
}

/// <summary>
/// On the first start (no users yet) creates the user <c>admin</c>. Runs as a hosted service, so before
/// the server accepts requests.
/// </summary>
public sealed class AdminBootstrapper(
    IUserStore users,
    PasswordHasher hasher,
    IConfiguration configuration,
    IServerConsole console,
    TimeProvider time,
    ILogger<AdminBootstrapper> logger) : IHostedService
{
    public const string AdminUserName = "admin";

    private const string PasswordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    private const int RandomPasswordLength = 20;

    public AdminBootstrapOutcome Outcome { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await users.CountAsync(cancellationToken) > 0)
        {
            Outcome = AdminBootstrapOutcome.UsersExisted;
            return;
        }

        var password = configuration[ServerOptions.AdminPasswordVariable];
        var fromEnvironment = !string.IsNullOrEmpty(password);
        if (!fromEnvironment)
        {
            password = RandomNumberGenerator.GetString(PasswordAlphabet, RandomPasswordLength);
        }

        var admin = new UserRecord(
            Id: Guid.NewGuid().ToString("N"),
            UserName: AdminUserName,
            PasswordHash: hasher.Hash(password!),
            Role: Roles.Admin,
            CreatedAt: time.GetUtcNow());
        await users.CreateAsync(admin, cancellationToken);

        if (fromEnvironment)
        {
            Outcome = AdminBootstrapOutcome.CreatedFromEnvironment;
            logger.LogInformation("Created user {UserName} with the password from {Variable}", AdminUserName, ServerOptions.AdminPasswordVariable);
        }
        else
        {
            Outcome = AdminBootstrapOutcome.CreatedWithRandomPassword;
            logger.LogWarning("Created user {UserName} with a random password, printed once on standard output", AdminUserName);
            console.WriteLine($"Admin password: {password}");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
