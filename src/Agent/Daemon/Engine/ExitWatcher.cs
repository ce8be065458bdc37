namespace ContainerConsole.Agent.Engine;

/// <summary>Notices exit records written by the monitors (which outlive the agent) and updates container state.</summary>
public sealed class ExitWatcher(ContainerEngine engine, ExecEngine execs, ILogger<ExitWatcher> log) : BackgroundService
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
            await Task.Delay(100, stoppingToken);
        }
    }
}
