namespace ContainerConsole.Agent.Engine;

/// <summary>Restart policies: the checks at create, the decision at each exit and at agent start, docker restart.</summary>
public sealed partial class ContainerEngine
{
    private static void ValidatePolicies(CreateContainerRequest req)
    {
        var policy = req.HostConfig?.RestartPolicy;
        if (policy is not null)
        {
            if (policy.Name is "" or null)
                policy.Name = "no";
            if (policy.Name is not ("no" or "always" or "unless-stopped" or "on-failure"))
                throw EngineException.BadRequest($"invalid restart policy: unknown policy '{policy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
            if (policy.MaximumRetryCount < 0)
                throw EngineException.BadRequest("invalid restart policy: maximum retry count cannot be negative");
            if (policy.MaximumRetryCount != 0 && policy.Name != "on-failure")
                throw EngineException.BadRequest($"invalid restart policy: maximum retry count can only be used with 'on-failure'");
            if (policy.Name != "no" && req.HostConfig!.AutoRemove)
                throw EngineException.BadRequest("conflicting options: cannot specify both --restart and --rm");
        }
        HealthSettings.Validate(req.Healthcheck);
    }

    /// <summary>docker stop and docker kill: unless-stopped stays down from now on; <paramref name="final"/> (the stop signal or
    /// SIGKILL): the coming exit is not restarted by any policy.</summary>
    private void StoppedByUser(ContainerModel c, bool final)
    {
        if (final)
            restarts.StoppedByUser(c.Id);
        if (!c.ManuallyStopped)
        {
            c.ManuallyStopped = true;
            store.Save(c);
        }
    }

    private void ApplyRestartPolicy(ContainerModel c)
    {
        if (!RestartManager.ShouldRestart(c.HostConfig.RestartPolicy, c.State.ExitCode, c.ManuallyStopped, restarts.IsStoppedByUser(c.Id), c.State.RestartCount))
            return;
        if (restarts.Schedule(c.Id, c.State.FinishedAt - c.State.StartedAt, ct => RestartByPolicyAsync(c, c.State.RestartCount + 1, ct)) is { } delay)
            log.LogInformation("restarting container {Id} in {Delay} ms (policy {Policy})", c.Id, delay.TotalMilliseconds, c.HostConfig.RestartPolicy!.Name);
    }

    private async Task RestartByPolicyAsync(ContainerModel c, int restartCount, CancellationToken ct)
    {
        // The backoff may have ended just as the user stopped the container: the check under the container's lock skips
        // the start then, and a stop that came while the start was under way found nothing running, so it applies now.
        await StartCoreAsync(c, restartCount, ct, byPolicy: true);
        if (restarts.IsStoppedByUser(c.Id) && c.State.IsActive)
            await StopAsync(c.Id, null, CancellationToken.None);
    }

    /// <summary>
    /// dockerd's rule at daemon start: a stopped container whose policy says so is started again, always even when the
    /// user had stopped it, unless-stopped only when not (containers whose monitor died with the host come back this way).
    /// As in dockerd, this is not a restart of the container's own doing: RestartCount starts again from 0.
    /// </summary>
    private void RestartAfterAgentStart()
    {
        foreach (var c in _containers.Values.Where(c => !c.State.IsActive && c.State.StartedAt != default))
            if (RestartManager.ShouldRestart(c.HostConfig.RestartPolicy, c.State.ExitCode, c.ManuallyStopped, canceled: false, c.State.RestartCount))
                restarts.Schedule(c.Id, TimeSpan.Zero, ct => RestartByPolicyAsync(c, restartCount: 0, ct));
    }

    /// <summary>docker restart: a user's stop and start.</summary>
    public async Task RestartAsync(string idOrName, int? timeoutSeconds, CancellationToken ct)
    {
        var c = Get(idOrName);
        await StopAsync(c.Id, timeoutSeconds, ct);
        await StartAsync(c.Id, ct);
        events.Container(c, "restart");
    }

    /// <summary>Restarting in inspect: exited, with a policy restart due.</summary>
    public bool IsRestarting(ContainerModel c) => !c.State.IsActive && restarts.IsPending(c.Id);
}
