namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Notices exit records written by the monitors (which outlive the agent) and updates container state: at once when a
/// watched monitor exits, and in a scan every second for any other way an exit record can appear (a monitor adopted
/// from before a restart whose pidfd could not be had).
/// </summary>
public sealed class ExitWatcher(ContainerEngine engine, ExecEngine execs, MonitorExits exits, ILogger<ExitWatcher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await engine.ReapExitedAsync(stoppingToken);
                execs.ReapExited();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "exit watcher");
            }
            await exits.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }
}
