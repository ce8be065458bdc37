using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Users;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>User management for the console's users page: the REST user API's handlers (same validation and last-admin rule), admin only, audited.</summary>
public sealed class ConsoleUserAdmin(ConsoleGate gate, IUserStore users, IApiTokenStore tokens, PasswordHasher hasher, TimeProvider time) : IUserAdmin
{
    private const string Manage = "manage users";

    public async Task<IReadOnlyList<UserAccount>> ListAsync(CancellationToken cancellationToken)
    {
        await gate.RequireAsync(Policies.Administer, "list users");
        var list = ApiOutcome.Value<IReadOnlyList<UserView>>(await UserApi.ListAsync(users, cancellationToken));
        return [.. list.Select(ToAccount)];
    }

    public async Task<UserAccount> CreateAsync(string userName, string password, string role, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "user.create", null, userName);
        var result = await UserApi.CreateAsync(new CreateUserRequest(userName, password, role), users, hasher, time, cancellationToken);
        return ToAccount(await gate.FinishAsync<UserView>(attempt, result.Result));
    }

    public async Task SetRoleAsync(string id, string role, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "user.role", null, id);
        await gate.FinishAsync(attempt, (await UserApi.SetRoleAsync(id, new SetRoleRequest(role), users, cancellationToken)).Result);
    }

    public async Task SetDisabledAsync(string id, bool disabled, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, disabled ? "user.disable" : "user.enable", null, id);
        await gate.FinishAsync(attempt, (await UserApi.UpdateAsync(id, new UpdateUserRequest(disabled), users, cancellationToken)).Result);
    }

    public async Task ResetPasswordAsync(string id, string password, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "user.password", null, id);
        await gate.FinishAsync(attempt, (await UserApi.ResetPasswordAsync(id, new SetPasswordRequest(password), users, tokens, hasher, cancellationToken)).Result);
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Administer, Manage, "user.delete", null, id);
        await gate.FinishAsync(attempt, (await UserApi.DeleteAsync(id, users, cancellationToken)).Result);
    }

    private static UserAccount ToAccount(UserView user) => new(user.Id, user.Username, user.Role, user.CreatedAt, user.Disabled);
}
