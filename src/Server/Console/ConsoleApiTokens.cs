using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Auth;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Server.WebConsole;

/// <summary>The signed-in user's own API tokens, through the REST token API's handlers (same limits); creating and revoking are audited.</summary>
public sealed class ConsoleApiTokens(ConsoleGate gate, IApiTokenStore tokens, TimeProvider time) : IApiTokenService
{
    private const string Use = "use API tokens";

    public async Task<IReadOnlyList<ApiTokenSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var principal = await gate.RequireAsync(Policies.Read, Use);
        var list = ApiOutcome.Value<IReadOnlyList<ApiTokenInfo>>((await TokenApi.ListAsync(principal, tokens, cancellationToken)).Result);
        return [.. list.Select(t => new ApiTokenSummary(t.Id, t.Name, t.Kind, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt))];
    }

    public async Task<CreatedApiToken> CreateAsync(string name, int expiresInDays, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Read, Use, "token.create", null, name);
        var result = await TokenApi.CreateAsync(new CreateTokenRequest(name, expiresInDays), attempt.Principal, tokens, time, cancellationToken);
        var created = await gate.FinishAsync<CreatedToken>(attempt, result.Result);
        return new CreatedApiToken(created.Id, created.Name, created.Token, created.ExpiresAt);
    }

    public async Task RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var attempt = await gate.BeginAsync(Policies.Read, Use, "token.revoke", null, id);
        await gate.FinishAsync(attempt, (await TokenApi.RevokeAsync(id, attempt.Principal, tokens, cancellationToken)).Result);
    }
}
