namespace ContainerConsole.Web.Services;

/// <summary>What the signed-in user may do, so that pages show only the controls that will work.</summary>
/// <param name="UserName">The user's name.</param>
/// <param name="Role">admin, operator or viewer.</param>
/// <param name="CanOperate">May change containers, images, volumes and networks.</param>
/// <param name="CanAdminister">May manage users, hosts and the audit log.</param>
public sealed record ConsoleRights(string UserName, string Role, bool CanOperate, bool CanAdminister)
{
    public static readonly ConsoleRights None = new("", "", false, false);
}

/// <summary>The signed-in user's rights. Implemented by the server from the same roles its REST API checks.</summary>
public interface IConsoleAccess
{
    Task<ConsoleRights> GetRightsAsync(CancellationToken cancellationToken);
}
