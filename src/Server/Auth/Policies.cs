using ContainerConsole.Server.Users;
using Microsoft.AspNetCore.Authorization;

namespace ContainerConsole.Server.Auth;

/// <summary>
/// Authorization policies by what they allow. Every API endpoint names one; an endpoint that names none
/// gets <see cref="Read"/> as the fallback, so nothing is reachable anonymously by omission.
/// </summary>
public static class Policies
{
    /// <summary>Read anything but users and other people's tokens: viewer, operator, admin.</summary>
    public const string Read = "read";

    /// <summary>Change containers, images, volumes and networks: operator, admin.</summary>
    public const string Operate = "operate";

    /// <summary>Manage users, hosts, other people's tokens; export the audit log: admin.</summary>
    public const string Administer = "administer";

    public static AuthorizationBuilder AddContainerConsolePolicies(this AuthorizationBuilder builder)
    {
        var read = Roles(Users.Roles.Admin, Users.Roles.Operator, Users.Roles.Viewer);
        return builder
            .AddPolicy(Read, read)
            .AddPolicy(Operate, Roles(Users.Roles.Admin, Users.Roles.Operator))
            .AddPolicy(Administer, Roles(Users.Roles.Admin))
            .SetDefaultPolicy(read)
            .SetFallbackPolicy(read);
    }

    private static AuthorizationPolicy Roles(params string[] roles) =>
        new AuthorizationPolicyBuilder(AuthSchemes.Default)
            .RequireAuthenticatedUser()
            .RequireRole(roles)
            .Build();
}
